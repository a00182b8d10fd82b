// The dashboard's sections, each a function from the overview to DOM. Actions call back into
// main.ts, which runs them and refreshes.
import type { MemberInfo, Overview } from './api.js';
import type { Span } from '../../telemetry/traces.js';
import { fmtBytes, fmtMs, fmtRate, h } from './dom.js';

export interface Actions {
  rollback(app: string): void;
  migrate(instance: string, to: number): void;
  scale(app: string, replicas: number): void;
  showTrace(traceId: string): void;
}

export function summary(o: Overview): HTMLElement {
  const rps = o.apps.reduce((n, a) => n + a.rps, 0);
  const lastMinute = Object.values(o.series.apps).reduce((n, s) => n + s.rps.reduce((a, b) => a + b, 0), 0);
  const stat = (label: string, value: string, id: string) => h('div', { class: 'stat' }, h('div', { class: 'stat-value', 'data-testid': id }, value), h('div', { class: 'stat-label' }, label));
  return h('section', { class: 'stats' },
    stat('requests / s', fmtRate(rps), 'total-rps'),
    stat('requests, last minute', String(lastMinute), 'requests-minute'),
    stat('instances', String(o.node.instances), 'instances'),
    stat('memory', fmtBytes(o.node.memoryBytes), 'memory'),
    stat('spawns', String(o.node.counters.spawns), 'spawns'),
    stat('uptime', `${o.node.uptimeS} s`, 'uptime'),
  );
}

export function apps(o: Overview, act: Actions): HTMLElement {
  return h('section', {}, h('h2', {}, 'Apps'),
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ...['app', 'release', 'previous', 'instance mode', 'rps', 'p99', 'errors / s', 'instances', 'memory', ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, ...o.apps.map((a) => h('tr', { 'data-app': a.app },
        h('td', {}, h('strong', {}, a.app)),
        h('td', { class: 'release' }, a.release === null ? '–' : `${a.release}`, a.version ? h('span', { class: 'muted' }, ` v${a.version}`) : null, a.canary ? h('span', { class: 'pill' }, `canary ${a.canary.release} @ ${a.canary.weight}%`) : null),
        h('td', {}, a.previous ?? '–'),
        h('td', { class: 'mode' }, a.mode ?? '–', a.replicas === null ? null : h('span', { class: 'pill pool', title: 'pool size: how many replicas share its requests' }, `pool ${a.replicas}`)),
        h('td', { class: 'num rps' }, fmtRate(a.rps)),
        h('td', { class: 'num' }, fmtMs(a.p99Ms)),
        h('td', { class: a.errorsPerS > 0 ? 'num bad' : 'num' }, fmtRate(a.errorsPerS)),
        h('td', { class: 'num instances' }, a.instances),
        h('td', { class: 'num' }, fmtBytes(a.memoryBytes)),
        h('td', { class: 'actions' },
          h('button', { class: 'rollback', disabled: a.previous === null && !a.canary, title: a.previous === null ? 'no previous release to roll back to' : `switch back to release ${a.previous}`, onclick: () => act.rollback(a.app) }, 'Rollback'),
          a.replicas === null
            ? h('button', { class: 'scale', disabled: true, title: `${a.app} runs ${a.mode ?? 'no'} instances; only a replicas app has a pool to scale` }, 'Scale')
            : h('button', { class: 'scale', title: `change the pool size (now ${a.replicas})`, onclick: () => act.scale(a.app, a.replicas!) }, 'Scale'),
        ),
      ))),
    ),
    h('p', { class: 'muted small' }, 'Scale sets a replicas app\'s pool size; per-key and per-request apps get their instances from the traffic.'),
  );
}

/** Which of the cluster's members is the node serving this page: the one at this address, or the only one. */
export function thisNode(members: MemberInfo[]): MemberInfo | null {
  return members.find((m) => URL.canParse(m.address) && new URL(m.address).origin === location.origin) ?? (members.length === 1 ? members[0] : null);
}

/** What placement knows of a node (src/cluster/topology.ts), as short labels. */
function facts(m: MemberInfo): HTMLElement {
  const t = m.topology;
  const fact = (label: string) => h('span', { class: 'pill' }, label);
  return h('span', { class: 'facts' },
    t.zone ? fact(`zone ${t.zone}`) : null, t.rack ? fact(`rack ${t.rack}`) : null,
    fact(`host ${t.hostId.slice(0, 8)}`), fact(`NUMA ${t.numaNodes.length ? t.numaNodes.join(',') : '?'}`),
    t.cacheGroups.length ? fact(`CPUs ${t.cacheGroups.join(' | ')}`) : null,
    fact(`${m.capacity.schedulers} schedulers`), fact(`${fmtBytes(m.capacity.memoryBytes)} RAM`),
  );
}

/**
 * Nodes → schedulers → instances. This node's picture is the overview; every other member's is
 * its own overview read through this node (`remote`, by name; missing when it did not answer:
 * then only its facts show). `load` is this node's schedulers' busy share since the previous poll.
 */
export function topology(o: Overview, members: MemberInfo[], remote: Map<string, Overview | null>, load: Map<number, number>, act: Actions): HTMLElement {
  const here = thisNode(members);
  const local = nodeCard(here, here?.name ?? 'this node', o, load, act);
  const others = members.filter((m) => m !== here).map((m) => {
    const view = remote.get(m.name);
    return view
      ? nodeCard(m, m.name, view, new Map(), null)
      : h('div', { class: 'node remote', 'data-node': m.name },
        h('div', { class: 'node-head' }, h('strong', { class: 'node-name' }, m.name), ' ', h('span', { class: 'muted' }, m.address), ' ', facts(m)),
        h('div', { class: 'muted small' }, 'its overview did not come through this node: ', h('a', { href: `${m.address}/_flick/` }, `${m.address}/_flick/`)));
  });
  return h('section', { class: 'topology' }, h('h2', {}, 'Nodes → schedulers → instances'), h('div', { class: 'nodes' }, local, ...others));
}

/** One node with its schedulers and their instances; `act` null: another node's (its instances move through its own API). */
function nodeCard(member: MemberInfo | null, name: string, o: Overview, load: Map<number, number>, act: Actions | null): HTMLElement {
  const byScheduler = new Map<number, Overview['instances']>();
  for (const i of o.instances) byScheduler.set(i.scheduler, [...(byScheduler.get(i.scheduler) ?? []), i]);
  const indexes = o.node.schedulers.map((s) => s.index);
  return h('div', { class: act ? 'node' : 'node remote', 'data-node': member?.name ?? '' },
    h('div', { class: 'node-head' }, h('strong', { class: 'node-name' }, name), ' ', h('span', { class: 'muted' }, member ? member.address : ''), ' ', member ? facts(member) : null),
    h('div', { class: 'muted small' }, `${o.node.instances} instances · restarts ${o.node.counters.restarts} · migrations ${o.node.counters.migrations} · hibernations ${o.node.counters.hibernations}`),
    h('div', { class: 'schedulers' }, ...o.node.schedulers.map((s) => {
      const listed = byScheduler.get(s.index) ?? [];
      const share = load.get(s.index);
      return h('div', { class: 'scheduler', 'data-scheduler': s.index },
        h('div', { class: 'scheduler-head' }, h('strong', {}, `scheduler ${s.index}`),
          h('span', { class: 'muted' }, ' load ', h('span', { class: 'load' }, share === undefined ? '–' : fmtShare(share)),
            ' · ', h('span', { class: 'count' }, s.instances), ` instances (${s.running} running) · ${s.outstanding} in flight · replaced ${s.replacements}×`)),
        h('table', { class: 'grid small' }, h('tbody', {}, ...byRelease(listed).flatMap(([release, list]) => [
          h('tr', { class: 'group', 'data-release': release }, h('th', { colspan: 6 }, release, h('span', { class: 'muted' }, ` · ${stateCounts(list)}`))),
          ...list.map((i) => h('tr', { 'data-instance': i.id },
            h('td', {}, i.id), h('td', { class: 'muted' }, i.key || '–'), h('td', {}, h('span', { class: `state ${i.state}` }, i.state)),
            h('td', { class: 'num' }, fmtBytes(i.memory)), h('td', { class: 'num' }, `${i.requests} req`),
            h('td', {}, ...(act ? indexes.filter((to) => to !== s.index).map((to) => h('button', { class: 'small', disabled: i.state !== 'running', title: `migrate to scheduler ${to}`, onclick: () => act.migrate(i.id, to) }, `→ ${to}`)) : [])),
          )),
        ]))),
        s.instances === 0 ? h('div', { class: 'muted small' }, 'no instances') : null,
        listed.length < s.instances ? h('div', { class: 'muted small' }, `${s.instances - listed.length} more not listed (the overview lists the first ${o.instances.length})`) : null,
      );
    })),
  );
}

function byRelease(list: Overview['instances']): Array<[string, Overview['instances']]> {
  const groups = new Map<string, Overview['instances']>();
  for (const i of list) groups.set(i.release, [...(groups.get(i.release) ?? []), i]);
  return [...groups].sort(([a], [b]) => a.localeCompare(b));
}

function stateCounts(list: Overview['instances']): string {
  const n = new Map<string, number>();
  for (const i of list) n.set(i.state, (n.get(i.state) ?? 0) + 1);
  return [...n].map(([state, count]) => `${count} ${state}`).join(', ');
}

/** Small loads keep two decimals: a thread serving µs-long calls is busy well under 1 %. */
function fmtShare(f: number): string {
  const pct = f * 100;
  return `${pct < 1 ? pct.toFixed(2) : pct.toFixed(0)}%`;
}

export function deployments(o: Overview): HTMLElement {
  return h('section', {}, h('h2', {}, 'Deployments'),
    h('ol', { class: 'deploys' }, ...o.deployments.slice(0, 12).map((d) => h('li', { class: `deploy ${d.status}`, 'data-deployment': d.id },
      h('div', {}, h('strong', {}, d.id), ` ${d.kind} ${d.from ?? '–'} → ${d.to} `, h('span', { class: `pill ${d.status}` }, d.status), h('span', { class: 'muted small' }, ` ${new Date(d.startedAt).toLocaleTimeString()}`)),
      h('div', { class: 'phases' }, ...d.phases.filter((p) => p.name !== 'done').map((p) => h('span', { class: `phase ${p.status}`, title: p.detail ?? '' }, `${p.name} ${p.status === 'running' ? '…' : `${p.ms.toFixed(1)} ms`}`))),
      d.reason ? h('div', { class: 'bad small' }, d.reason) : null,
    ))),
  );
}

export function traces(o: Overview, act: Actions, open: { traceId: string; spans: Span[] } | null): HTMLElement {
  return h('section', {}, h('h2', {}, 'Recent requests (traces)'),
    h('table', { class: 'grid small' }, h('tbody', {}, ...o.traces.map((t) => h('tr', { class: 'clickable', onclick: () => act.showTrace(t.traceId) },
      h('td', { class: 'mono' }, t.traceId.slice(0, 12)), h('td', {}, t.app), h('td', {}, `${t.method} ${t.url}`),
      h('td', { class: t.status >= 500 ? 'bad' : '' }, t.status), h('td', { class: 'num' }, fmtMs(t.durationMs)), h('td', { class: 'muted' }, t.instance ?? ''),
    )))),
    open ? waterfall(open.spans) : h('p', { class: 'muted small' }, 'Click a request to see its spans.'),
  );
}

function waterfall(spans: Span[]): HTMLElement {
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(...spans.map((s) => s.endMs)) - t0 || 1;
  return h('div', { class: 'waterfall' }, ...spans.map((s) => h('div', { class: 'span-row' },
    h('div', { class: 'span-name' }, s.name),
    h('div', { class: 'span-track' }, h('div', { class: s.error ? 'span-bar bad-bg' : 'span-bar', style: `left:${((s.startMs - t0) / total) * 100}%;width:${Math.max(0.5, ((s.endMs - s.startMs) / total) * 100)}%` })),
    h('div', { class: 'span-ms num' }, fmtMs(s.endMs - s.startMs)),
  )));
}

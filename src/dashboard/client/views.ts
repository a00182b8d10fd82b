// The dashboard's sections, each a function from the overview to DOM. Actions call back into
// main.ts, which runs them and refreshes.
import type { Overview } from './api.js';
import type { Span } from '../../telemetry/traces.js';
import { fmtBytes, fmtMs, fmtRate, h } from './dom.js';

export interface Actions {
  rollback(app: string): void;
  migrate(instance: string, to: number): void;
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
  const scaleWhy = o.unavailable.scale;
  return h('section', {}, h('h2', {}, 'Apps'),
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ...['app', 'release', 'previous', 'rps', 'p99', 'errors / s', 'instances', 'memory', ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, ...o.apps.map((a) => h('tr', { 'data-app': a.app },
        h('td', {}, h('strong', {}, a.app)),
        h('td', { class: 'release' }, a.release === null ? '–' : `${a.release}`, a.version ? h('span', { class: 'muted' }, ` v${a.version}`) : null, a.canary ? h('span', { class: 'pill' }, `canary ${a.canary.release} @ ${a.canary.weight}%`) : null),
        h('td', {}, a.previous ?? '–'),
        h('td', { class: 'num rps' }, fmtRate(a.rps)),
        h('td', { class: 'num' }, fmtMs(a.p99Ms)),
        h('td', { class: a.errorsPerS > 0 ? 'num bad' : 'num' }, fmtRate(a.errorsPerS)),
        h('td', { class: 'num' }, a.instances),
        h('td', { class: 'num' }, fmtBytes(a.memoryBytes)),
        h('td', { class: 'actions' },
          h('button', { class: 'rollback', disabled: a.previous === null && !a.canary, title: a.previous === null ? 'no previous release to roll back to' : `switch back to release ${a.previous}`, onclick: () => act.rollback(a.app) }, 'Rollback'),
          h('button', { disabled: true, title: scaleWhy }, 'Scale'),
        ),
      ))),
    ),
    scaleWhy ? h('p', { class: 'muted small' }, `Scale is disabled: ${scaleWhy}.`) : null,
  );
}

export function topology(o: Overview, act: Actions): HTMLElement {
  const byScheduler = new Map<number, Overview['instances']>();
  for (const i of o.instances) byScheduler.set(i.scheduler, [...(byScheduler.get(i.scheduler) ?? []), i]);
  const others = o.node.schedulers.map((s) => s.index);
  return h('section', {}, h('h2', {}, 'Node → schedulers → instances'),
    h('div', { class: 'node' },
      h('div', { class: 'node-head' }, `this node · ${o.node.schedulers.length} scheduler threads · ${o.node.instances} instances · restarts ${o.node.counters.restarts} · migrations ${o.node.counters.migrations} · hibernations ${o.node.counters.hibernations}`),
      h('div', { class: 'schedulers' }, ...o.node.schedulers.map((s) => h('div', { class: 'scheduler', 'data-scheduler': s.index },
        h('div', { class: 'scheduler-head' }, h('strong', {}, `scheduler ${s.index}`), h('span', { class: 'muted' }, ` ${s.instances} instances · ${s.outstanding} in flight · replaced ${s.replacements}×`)),
        h('table', { class: 'grid small' }, h('tbody', {}, ...(byScheduler.get(s.index) ?? []).map((i) => h('tr', { 'data-instance': i.id },
          h('td', {}, i.id), h('td', { class: 'muted' }, i.key || '–'), h('td', {}, h('span', { class: `state ${i.state}` }, i.state)),
          h('td', { class: 'num' }, fmtBytes(i.memory)), h('td', { class: 'num' }, `${i.requests} req`),
          h('td', {}, ...others.filter((to) => to !== s.index).map((to) => h('button', { class: 'small', disabled: i.state !== 'running', onclick: () => act.migrate(i.id, to) }, `→ ${to}`))),
        )))),
      ))),
    ),
  );
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

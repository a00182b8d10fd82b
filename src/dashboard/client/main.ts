// The dashboard: polls the node's overview once a second (the cluster's members every few
// seconds, as they rarely change; the other members' overviews through this node) and redraws;
// charts keep their state.
import './style.css';
import { api, ApiError, type MemberInfo, type Overview } from './api.js';
import { CHARTS, LiveChart } from './charts.js';
import { h } from './dom.js';
import * as views from './views.js';
import type { Span } from '../../telemetry/traces.js';

const POLL_MS = 1000;
const NODES_POLL_MS = 5000;
const root = document.getElementById('app')!;
const status = h('div', { class: 'status', 'data-testid': 'status' }, 'connecting…');
const chartHosts = CHARTS.map(() => h('div', { class: 'chart' }));
const charts = CHARTS.map((spec, i) => new LiveChart(spec, chartHosts[i]));
const body = h('div');
let openTrace: { traceId: string; spans: Span[] } | null = null;
let last: Overview | null = null;
let members: MemberInfo[] = [];
let membersAt = -Infinity;
/** The other members' overviews, read through this node; null for one that did not answer. */
let remote = new Map<string, Overview | null>();
/** Each scheduler's busy share between the last two polls, from its cumulative busy seconds. */
let load = new Map<number, number>();
let busyBefore: { at: number; busyS: Map<number, number> } | null = null;
/** Until when the status line keeps an action's outcome instead of the "live" heartbeat. */
let statusHeldUntil = 0;
const STATUS_HOLD_MS = 5000;

root.append(
  h('header', {}, h('h1', {}, 'flick'), h('span', { class: 'muted' }, location.host), status),
  h('section', { class: 'charts' }, ...chartHosts),
  body,
);

const actions: views.Actions = {
  rollback: (app) => {
    if (!confirm(`Roll ${app} back to its previous release?`)) return;
    void act(`rollback of ${app}`, () => api.rollback(app));
  },
  migrate: (instance, to) => void act(`migration of ${instance}`, () => api.migrate(instance, to)),
  scale: (app, now) => {
    const answer = prompt(`How many replicas should ${app} run? (now ${now})`, String(now));
    if (answer === null || answer.trim() === '') return;
    // Only the number's shape is checked here; the node says which counts it accepts.
    const n = Number(answer.trim());
    if (!Number.isFinite(n)) return setStatus(`scale of ${app}: '${answer}' is not a number`, true);
    void act(`scale of ${app} to ${n}`, () => api.scale(app, n));
  },
  showTrace: (id) => void api.trace(id).then((t) => {
    openTrace = t;
    if (last) render(last);
  }, report),
};

async function act(what: string, run: () => Promise<unknown>): Promise<void> {
  setStatus(`${what}…`, false);
  try {
    await run();
    setStatus(`${what} done`, false);
  } catch (e) {
    report(e);
  }
  await refresh();
}

function report(e: unknown): void {
  setStatus(e instanceof ApiError ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : String((e as Error).message ?? e), true);
}

function setStatus(text: string, bad: boolean): void {
  statusHeldUntil = Date.now() + STATUS_HOLD_MS;
  status.textContent = text;
  status.className = bad ? 'status bad' : 'status';
}

function render(o: Overview): void {
  body.replaceChildren(views.summary(o), views.apps(o, actions), views.topology(o, members, remote, load, actions), h('div', { class: 'two' }, views.deployments(o), views.traces(o, actions, openTrace)));
  for (const c of charts) c.update(o);
}

async function refresh(): Promise<void> {
  try {
    if (performance.now() - membersAt >= NODES_POLL_MS) {
      // A failed read keeps the members last seen: the node's own overview still renders.
      members = await api.nodes().catch(() => members);
      membersAt = performance.now();
    }
    last = await api.overview();
    remote = await remoteOverviews();
    measureLoad(last);
    render(last);
    if (Date.now() > statusHeldUntil) {
      status.textContent = `live · ${new Date().toLocaleTimeString()}`;
      status.className = 'status';
    }
  } catch {
    status.textContent = 'the node does not answer';
    status.className = 'status bad';
  }
}

/** Every other member's overview, in parallel; a member that fails shows its facts alone. */
async function remoteOverviews(): Promise<Map<string, Overview | null>> {
  const here = views.thisNode(members);
  const others = members.filter((m) => m !== here);
  const read = await Promise.all(others.map((m) => api.memberOverview(m.name).catch(() => null)));
  return new Map(others.map((m, i) => [m.name, read[i]]));
}

function measureLoad(o: Overview): void {
  const now = { at: performance.now(), busyS: new Map(o.node.schedulers.map((s) => [s.index, s.busyS])) };
  const before = busyBefore;
  if (before) {
    const seconds = (now.at - before.at) / 1000;
    // An action's refresh can land right after a poll: too short an interval to measure.
    if (seconds < 0.25) return;
    load = new Map([...now.busyS].map(([i, busy]) => [i, Math.min(1, Math.max(0, (busy - (before.busyS.get(i) ?? busy)) / seconds))]));
  }
  busyBefore = now;
}

async function loop(): Promise<void> {
  await refresh();
  setTimeout(() => void loop(), POLL_MS);
}

void loop();

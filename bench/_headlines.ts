/**
 * The row each benchmark gets in docs/benchmarks.md: its headline figures, its target from
 * DESIGN.md "Performance targets" and whether this run met it. Peer benches compare instead of
 * having a target. A bench not listed here still gets a row: its numeric fields, and its own
 * `target` / `met` when it reports them.
 */
import { formatValue } from './_svg-chart.js';

type Result = Record<string, unknown>;

export interface Headline {
  figures: string[];
  target: string;
  /** null: nothing to meet (a comparison, or a bench with no target). */
  met: boolean | null;
}

const num = (r: Result, k: string) => (typeof r[k] === 'number' ? (r[k] as number) : NaN);
/** `field` value unit, for the figures cell. */
const fig = (r: Result, k: string, unit = '') => `\`${k}\` ${Number.isNaN(num(r, k)) ? 'n/a' : formatValue(num(r, k))}${unit ? ` ${unit}` : ''}`;
const versus = (label: string, flick: string, peerLabel: string, peer: string) => `${label}: flick ${flick} vs ${peerLabel} ${peer}`;
const val = (r: Result, k: string, unit: string) => (Number.isNaN(num(r, k)) ? 'n/a' : `${formatValue(num(r, k))} ${unit}`);

const SPECS: Record<string, (r: Result) => Headline> = {
  spawn: (r) => ({
    figures: [fig(r, 'spawn_p50_us', 'µs'), fig(r, 'spawn_p99_us', 'µs'), `without a pool: p50 ${val(r, 'unpooled_spawn_p50_us', 'µs')}, p99 ${val(r, 'unpooled_spawn_p99_us', 'µs')}`],
    target: 'p50 ≤ 15 µs, p99 ≤ 60 µs',
    met: num(r, 'spawn_p50_us') <= 15 && num(r, 'spawn_p99_us') <= 60,
  }),
  restore: (r) => ({ figures: [fig(r, 'restore_p50_us', 'µs'), fig(r, 'restore_p99_us', 'µs'), `full copy: ${val(r, 'full_copy_p50_us', 'µs')}`], target: 'p50 ≤ 100 µs', met: num(r, 'restore_p50_us') <= 100 }),
  density: (r) => ({
    figures: [fig(r, 'rss_per_instance_kib', 'KiB'), fig(r, 'instances')],
    target: '≤ 8 KiB; ≥ 200,000 live',
    met: num(r, 'rss_per_instance_kib') <= 8 && num(r, 'instances') >= 200_000,
  }),
  metering: (r) => ({ figures: [fig(r, 'overhead_pct', '%')], target: '≤ 15 % (CPU-bound example)', met: num(r, 'overhead_pct') <= 15 }),
  firstreq: (r) => ({ figures: [fig(r, 'first_request_p50_us', 'µs'), fig(r, 'first_request_p99_us', 'µs'), `warm: ${val(r, 'warm_request_p50_us', 'µs')}`], target: 'p50 ≤ 1,000 µs', met: num(r, 'first_request_p50_us') <= 1000 }),
  rps: (r) => ({
    figures: [fig(r, 'rps', 'req/s'), fig(r, 'p99_ms', 'ms'), `workerd: ${val(r, 'peer_rps', 'req/s')}, p99 ${val(r, 'peer_p99_ms', 'ms')}`],
    target: '≥ peer (workerd, same run)',
    met: num(r, 'rps') >= num(r, 'peer_rps'),
  }),
  deploy: (r) => ({ figures: [fig(r, 'switch_ms', 'ms'), fig(r, 'errors'), `of ${val(r, 'requests', 'requests')}`], target: 'switch ≤ 10 ms, 0 errors', met: num(r, 'switch_ms') <= 10 && num(r, 'errors') === 0 }),
  migrate: (r) => ({
    figures: [fig(r, 'pause_p99_ms', 'ms'), fig(r, 'cross_node_pause_p99_ms', 'ms'), fig(r, 'errors'), fig(r, 'cross_node_errors')],
    target: '≤ 5 ms in a node, ≤ 20 ms across nodes, 0 errors',
    met: num(r, 'pause_p99_ms') <= 5 && num(r, 'cross_node_pause_p99_ms') <= 20 && num(r, 'errors') === 0 && num(r, 'cross_node_errors') === 0,
  }),
  connections: (r) => ({
    figures: [fig(r, 'connections'), fig(r, 'kib_per_connection', 'KiB'), ...(r.capped_by ? [`capped by: ${String(r.capped_by)}`] : [])],
    target: '≥ 100,000 on one node',
    met: num(r, 'connections') >= 100_000,
  }),
  neighbours: (r) => ({
    figures: [fig(r, 'p99_ratio'), `hello p99 ${val(r, 'solo_p99_ms', 'ms')} alone, ${val(r, 'neighbours_p99_ms', 'ms')} beside hostile apps`, fig(r, 'hello_errors')],
    target: 'hello p99 within 2× its solo p99, 0 errors',
    met: num(r, 'p99_ratio') <= 2 && num(r, 'hello_errors') === 0,
  }),
  js: (r) => ({
    ...generic(r),
    figures: [
      versus('cold start p50 (new app → first 200)', val(r, 'cold_start_p50_ms', 'ms'), 'workerd (new process)', val(r, 'peer_cold_start_p50_ms', 'ms')),
      `new key → new isolate p50: ${val(r, 'isolate_cold_start_p50_ms', 'ms')}`,
      versus('rps', `${val(r, 'rps', 'req/s')} (default: replicas), ${val(r, 'per_request_rps', 'req/s')} per-request`, 'workerd', val(r, 'peer_rps', 'req/s')),
    ],
  }),
  erlang: (r) => ({
    figures: [
      versus('spawn p50', val(r, 'spawn_p50_us', 'µs'), 'Erlang process', val(r, 'peer_spawn_p50_us', 'µs')),
      versus('spawn p99', val(r, 'spawn_p99_us', 'µs'), 'Erlang', val(r, 'peer_spawn_p99_us', 'µs')),
      versus('message round trip', val(r, 'message_round_trip_us', 'µs'), 'Erlang', val(r, 'peer_message_round_trip_us', 'µs')),
      versus('memory per unit', val(r, 'kib_per_instance', 'KiB'), 'Erlang', val(r, 'peer_kib_per_process', 'KiB')),
    ],
    target: 'comparison',
    met: null,
  }),
  'node-workers': (r) => ({
    figures: [
      `spawn → first answer p50: flick ${val(r, 'spawn_p50_us', 'µs')}, Worker ${val(r, 'worker_spawn_p50_us', 'µs')}, node child ${val(r, 'child_spawn_p50_us', 'µs')}, cat child ${val(r, 'cat_spawn_p50_us', 'µs')}`,
      `idle memory per unit: flick ${val(r, 'kib_per_instance', 'KiB')}, Worker ${val(r, 'worker_idle_kib', 'KiB')}, node child ${val(r, 'child_idle_kib', 'KiB')}, cat child ${val(r, 'cat_idle_kib', 'KiB')}`,
    ],
    target: 'comparison',
    met: null,
  }),
  crun: (r) => ({
    figures: r.runnable ? [versus('spawn → first output p50', val(r, 'spawn_p50_us', 'µs'), 'OCI container', val(r, 'peer_spawn_p50_us', 'µs'))] : [String(r.error), `cgroups: ${String(r.cgroup_layout)}`],
    target: 'comparison',
    met: null,
  }),
};

/** Any other bench: its numeric top-level fields, and its own target and `met` (a boolean, or an object of booleans). */
function generic(r: Result): Headline {
  const figures = Object.keys(r)
    .filter((k) => typeof r[k] === 'number')
    .slice(0, 8)
    .map((k) => fig(r, k));
  const met = r.met;
  return {
    figures,
    target: typeof r.target === 'string' ? r.target : '—',
    met: typeof met === 'boolean' ? met : met && typeof met === 'object' ? Object.values(met).every((v) => v === true) : null,
  };
}

export function headline(bench: string, result: Result): Headline {
  return (SPECS[bench] ?? generic)(result);
}

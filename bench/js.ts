/**
 * js: a JS hello app on flick side by side with the same source on workerd (npm
 * `@cloudflare/workerd-linux-64`), in one run, by the same clients.
 *
 * Cold start, defined the same for both: code the server has never run is asked for → time until
 * its first response arrives over HTTP, measured by the client.
 *  - workerd loads code only at process start: a new config and a new worker (unique source each
 *    time) → spawn workerd → first 200.
 *  - flick: a running node; a never-seen bundle (unique source, so a new image id and no cached
 *    compile) is deployed as a new app through the control API → first 200, timed from the start
 *    of the deploy call (upload, every deploy phase with its durable records, the route switch).
 *  - flick per-request cold start inside a running app: a per-key app asked for a never-seen key
 *    → a brand-new isolate → response (`isolate_cold_start_*`).
 *
 * Throughput: the same hello on both, wrk keep-alive at bench/rps.ts's settings, runs alternating.
 * `rps` is flick's default instance mode for JS apps (replicas, 2: warm isolates serving request
 * after request, the model workerd runs); `per_request_rps` is the same app asking for a fresh
 * instance, so a fresh V8 context, for every request.
 */
import { emit, median, percentile, progress, quick, round, sortedCopy } from './_harness.js';
import { AppClient } from './_http.js';
import { jsImage } from './_fixtures.js';
import { machineNote } from './_machine.js';
import { withNode, type NodeProcess } from './_node-process.js';
import { startWorkerd, untilOk } from './_workerd.js';
import { wrk, wrkAvailable, type WrkResult } from './_wrk.js';

const COLD_RUNS = quick ? 3 : 10;
const KEYS = quick ? 50 : 300;
const RPS_RUNS = quick ? 1 : 3;
const SECONDS = quick ? 3 : 8;
const WARMUP_SECONDS = quick ? 1 : 2;
const CONNECTIONS = 32;
const THREADS = 1;
/** Pause between attempts while a server does not answer yet (both sides). */
const POLL_MS = 1;
const COLD_TIMEOUT_MS = 30_000;

/** The hello handler both servers run; `build` makes each cold-start source one never seen before. */
function helloSource(build: string): string {
  return `export default {
  fetch(req) {
    const body = 'hello from flick: ' + req.method + ' ' + new URL(req.url).pathname + '\\n';
    return new Response(body, { headers: { 'content-type': 'text/plain; charset=utf-8', 'x-build': ${JSON.stringify(build)} } });
  },
};
`;
}

if (!wrkAvailable()) throw new Error('wrk is not installed: run scripts/install-system-deps.sh bench (as root)');

let seq = 0;
const unique = (side: string) => `${side}-${process.pid}-${++seq}`;

interface FlickCold {
  ms: number;
  /** The deploy call alone (upload + deployment), ms. */
  deploy_ms: number;
  phases: Record<string, number>;
}

/** Deploys a never-seen hello as a new app and times it until its first 200. */
async function flickCold(node: NodeProcess): Promise<FlickCold> {
  const app = unique('cold');
  const image = await jsImage(helloSource(app), { name: app });
  const t0 = performance.now();
  const record = await node.deploy(image);
  const deployMs = performance.now() - t0;
  if (record.status !== 'succeeded') throw new Error(`deploy of ${app} failed: ${record.reason}`);
  if (!(await untilOk(`${node.url}/`, t0 + COLD_TIMEOUT_MS, { pollMs: POLL_MS, host: `${app}.localhost` }))) throw new Error(`${app} did not answer 200 after its deploy`);
  return { ms: performance.now() - t0, deploy_ms: deployMs, phases: Object.fromEntries(record.phases.map((p) => [p.name, p.ms])) };
}

/** A new workerd process with a never-seen worker, timed until its first 200. */
async function workerdCold(): Promise<number> {
  const peer = await startWorkerd(helloSource(unique('workerd')), { pollMs: POLL_MS });
  await peer.stop();
  return peer.readyMs;
}

/**
 * Never-seen keys of a per-key app, one request at a time: each spawns a new instance. Failed
 * answers are counted, not timed (on a saturated host a first call can overrun its CPU budget,
 * which isolated-vm measures by the wall clock).
 */
async function isolateCold(node: NodeProcess): Promise<{ p50: number; p99: number; warm_p50: number; errors: string[] }> {
  const app = unique('keys');
  await node.deploy(await jsImage(helloSource(app), { name: app, instances: { mode: 'per-key', key: { from: 'header', name: 'flick-key' } } }));
  const client = new AppClient(node.url, app, 1);
  const errors: string[] = [];
  const timed = async (key: string, into: number[]) => {
    const s = await client.timed({ path: '/', headers: { 'flick-key': key } });
    if (s.status === 200) into.push(s.latencyUs / 1000);
    else errors.push(`${s.status} ${s.error}`);
  };
  try {
    for (let i = 0; i < 20; i++) await timed(unique('warmup-key'), []);
    errors.length = 0;
    const first: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < KEYS; i++) {
      const key = unique('key');
      await timed(key, first);
      await timed(key, warm);
    }
    const f = sortedCopy(first);
    return { p50: percentile(f, 50), p99: percentile(f, 99), warm_p50: median(warm), errors };
  } finally {
    await client.close();
  }
}

/** wrk at the shared settings; failed requests are counted in the result (`errors`), not thrown. */
function load(url: string, host: string | undefined, seconds: number): Promise<WrkResult> {
  return wrk({ url, host, connections: CONNECTIONS, threads: THREADS, seconds });
}

type Side = 'flick' | 'per-request' | 'workerd';

const result = await withNode({}, async (node) => {
  progress(`node at ${node.url}; one warm-up cold start on each side`);
  await flickCold(node);
  await workerdCold();
  const cold: Array<{ flick: FlickCold; workerd_ms: number }> = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    cold.push({ flick: await flickCold(node), workerd_ms: await workerdCold() });
    progress(`cold ${i + 1}/${COLD_RUNS}: ${JSON.stringify(cold[i])}`);
  }
  const isolate = await isolateCold(node);
  progress(`isolate cold start: ${JSON.stringify(isolate)}`);

  await node.deploy(await jsImage(helloSource('rps'), { name: 'hello-js' }));
  await node.deploy(await jsImage(helloSource('rps'), { name: 'hello-js-per-request', instances: { mode: 'per-request' } }));
  const peer = await startWorkerd(helloSource('rps'));
  try {
    const targets: Record<Side, [string, string | undefined]> = {
      flick: [`${node.url}/`, 'hello-js.localhost'],
      'per-request': [`${node.url}/`, 'hello-js-per-request.localhost'],
      workerd: [`${peer.url}/`, undefined],
    };
    const sides = Object.keys(targets) as Side[];
    for (const side of sides) await load(...targets[side], WARMUP_SECONDS);
    const rps: Array<Record<Side, WrkResult>> = [];
    for (let i = 0; i < RPS_RUNS; i++) {
      const run = {} as Record<Side, WrkResult>;
      for (const side of sides) run[side] = await load(...targets[side], SECONDS);
      rps.push(run);
      progress(`rps ${i + 1}/${RPS_RUNS}: ${JSON.stringify(run)}`);
    }
    return { cold, isolate, rps };
  } finally {
    await peer.stop();
  }
});

const wrkMedian = (side: Side, k: keyof WrkResult) => median(result.rps.map((r) => r[side][k]));
const wrkErrors = (side: Side) => result.rps.reduce((sum, r) => sum + r[side].errors, 0);
const phaseNames = Object.keys(result.cold[0].flick.phases);
const cold_start_p50_ms = round(median(result.cold.map((c) => c.flick.ms)));
const peer_cold_start_p50_ms = round(median(result.cold.map((c) => c.workerd_ms)));
const rps = round(wrkMedian('flick', 'rps'), 0);
const peer_rps = round(wrkMedian('workerd', 'rps'), 0);
emit({
  bench: 'js',
  cold_start_p50_ms,
  peer_cold_start_p50_ms,
  isolate_cold_start_p50_ms: round(result.isolate.p50, 3),
  isolate_cold_start_p99_ms: round(result.isolate.p99, 3),
  isolate_warm_p50_ms: round(result.isolate.warm_p50, 3),
  isolate_errors: result.isolate.errors,
  rps,
  p50_ms: round(wrkMedian('flick', 'p50_ms')),
  p99_ms: round(wrkMedian('flick', 'p99_ms')),
  peer_rps,
  peer_p50_ms: round(wrkMedian('workerd', 'p50_ms')),
  peer_p99_ms: round(wrkMedian('workerd', 'p99_ms')),
  rps_ratio: round(rps / peer_rps, 3),
  errors: wrkErrors('flick'),
  peer_errors: wrkErrors('workerd'),
  per_request_rps: round(wrkMedian('per-request', 'rps'), 0),
  per_request_p99_ms: round(wrkMedian('per-request', 'p99_ms')),
  per_request_rps_ratio: round(wrkMedian('per-request', 'rps') / peer_rps, 3),
  per_request_errors: wrkErrors('per-request'),
  deploy_call_p50_ms: round(median(result.cold.map((c) => c.flick.deploy_ms))),
  deploy_phase_p50_ms: Object.fromEntries(phaseNames.map((n) => [n, round(median(result.cold.map((c) => c.flick.phases[n] ?? 0)), 3)])),
  met: { cold_start: cold_start_p50_ms <= peer_cold_start_p50_ms, rps: rps >= 0.8 * peer_rps },
  target: 'cold_start_p50_ms <= peer_cold_start_p50_ms, rps >= 0.8 x peer_rps',
  peer: 'workerd (npm @cloudflare/workerd-linux-64), one process per config, the same hello source',
  conditions:
    `cold start = code the server has never run is asked for -> time until its first response arrives over HTTP, measured by the client (one undici connection per attempt, retried every ${POLL_MS} ms until a 200). ` +
    `workerd: a new config + worker with a unique source -> process spawn -> first 200 (workerd loads code only at start). ` +
    `flick: a running node (flick up, one scheduler per core); a JS hello with a unique source deployed as a new app through the control API (image upload, copy/start/health/switch phases with durable records) -> first 200, timed from the start of the deploy call. ` +
    `${COLD_RUNS} iterations alternating flick / workerd after one warm-up each, medians. ` +
    `isolate cold start: a per-key JS app on the same node, ${KEYS} never-seen keys one at a time over one keep-alive connection (each a new isolate; warm = the same key's second request). ` +
    `rps: the same hello, flick in the default instance mode of JS apps (replicas, count 2: warm isolates, as workerd runs); per_request_rps: the same app as instances.mode per-request (a fresh instance with its own V8 context for every request); wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s --latency over loopback keep-alive after ${WARMUP_SECONDS} s warm-up each, ${RPS_RUNS} runs alternating flick / flick per-request / workerd, medians; both servers and wrk share this machine's cores; ${machineNote()}`,
  runs: result,
});

/**
 * migrate: a live per-key instance holding 1 MiB of state (bench/fixtures/state-1mib.wat) is moved
 * back and forth between scheduler 0 and 1 of a real node through the control API, while client
 * loops keep requests coming to its key. Reported: the pause the node measures for each move
 * (`pauseMs`: requests held from the start of the move until the instance runs on its new
 * scheduler), what the client saw meanwhile, failed requests, and whether the state came through:
 * every request's count is the next integer (none lost, none served twice from an old copy), and
 * the MiB reads back exactly as it was written.
 *
 * Then the same between two nodes: a cluster of two `flick up --etcd` processes and a Debian etcd
 * (test/support/etcd.ts), the instance moved back and forth with `POST /instances/ID/move`
 * (`flick migrate INSTANCE --to NODE`) while client loops send to its key through both nodes (the
 * one not holding it forwards). Reported as `cross_node_*`.
 */
import { emit, median, percentile, progress, quick, round, sortedCopy } from './_harness.js';
import { NodeProcess, withNode } from './_node-process.js';
import type { MigrationTiming } from '../src/node/node.js';
import { startEtcd } from '../test/support/etcd.js';
import { AppClient, SteadyLoad, failures, sleep, wallMs, type Sample } from './_http.js';
import { watImage } from './_fixtures.js';
import { machineNote } from './_machine.js';

const RUNS = quick ? 2 : 3;
/** Moves per run: enough that a run's p99 is not simply its slowest move (200: the third slowest). */
const MIGRATIONS = quick ? 20 : 200;
/** Moves under load before the first run, not counted: the node's first moves also compile their code paths (JIT) and size its memory pools. */
const WARMUP_MOVES = quick ? 5 : 50;
const CLIENT_LOOPS = 4;
const GAP_MS = 20;
const BASELINE_MS = 1000;
const APP = 'state';
const KEY = 'migrating';
const STATE_WORDS = 262_144;

const image = watImage('state-1mib', {
  name: APP,
  resources: { memoryMiB: 2, cpuMsPerCall: 200, deadlineMs: 2000 },
  instances: { mode: 'per-key', key: { from: 'header', name: 'Flick-Key' } },
  hibernate: { idleMs: 0 },
});

/** What flick_init writes: the xorshift32 stream from the fixture's seed. */
function expectedState(): Buffer {
  const words = new Uint32Array(STATE_WORDS);
  let x = 0x9e3779b9;
  for (let i = 0; i < STATE_WORDS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer);
}

interface Window {
  start: number;
  end: number;
}

interface RunResult extends Record<string, number> {
  pause_p50_ms: number;
  pause_p99_ms: number;
  pause_max_ms: number;
  client_p99_ms: number;
  client_max_during_ms: number;
  baseline_p99_ms: number;
  errors: number;
  count_gaps: number;
}

async function instanceId(node: NodeProcess): Promise<string> {
  const rec = (await node.instances()).find((i) => i.app === APP && i.key === KEY);
  if (!rec) throw new Error(`no instance of ${APP} for key ${KEY}`);
  return rec.id;
}

/** Counts answered must run on without a gap or a repeat: a lost request or a stale copy breaks the sequence. */
function countGaps(samples: Sample[]): number {
  const counts = samples.filter((s) => s.status === 200).map((s) => s.body.readUInt32LE(0)).sort((a, b) => a - b);
  let gaps = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i] !== counts[i - 1] + 1) gaps++;
  return gaps;
}

function overlaps(s: Sample, windows: Window[]): boolean {
  const end = s.sentMs + s.latencyUs / 1000;
  return windows.some((w) => s.sentMs < w.end && end > w.start);
}

/** One run: steady load on the key through `clients` (loops shared out), `MIGRATIONS` moves by `move` (which returns the pause). */
async function run(clients: AppClient[], move: () => Promise<number>, count = MIGRATIONS): Promise<RunResult> {
  const request = () => ({ path: '/', headers: { 'flick-key': KEY } });
  const loads = clients.map((c) => new SteadyLoad(c, request, CLIENT_LOOPS / clients.length).start());
  await sleep(BASELINE_MS);
  const baselineEnd = wallMs();
  const pauses: number[] = [];
  const windows: Window[] = [];
  for (let i = 0; i < count; i++) {
    const start = wallMs();
    pauses.push(await move());
    windows.push({ start, end: wallMs() });
    await sleep(GAP_MS);
  }
  const samples = (await Promise.all(loads.map((l) => l.stop()))).flat();
  const during = samples.filter((s) => overlaps(s, windows)).map((s) => s.latencyUs / 1000);
  const baseline = sortedCopy(samples.filter((s) => s.sentMs + s.latencyUs / 1000 < baselineEnd).map((s) => s.latencyUs / 1000));
  const sortedPauses = sortedCopy(pauses);
  return {
    pause_p50_ms: percentile(sortedPauses, 50),
    pause_p99_ms: percentile(sortedPauses, 99),
    pause_max_ms: sortedPauses[sortedPauses.length - 1],
    client_p99_ms: percentile(sortedCopy(samples.map((s) => s.latencyUs / 1000)), 99),
    client_max_during_ms: Math.max(...during),
    baseline_p99_ms: percentile(baseline, 99),
    errors: failures(samples).length,
    count_gaps: countGaps(samples),
  };
}

const result = await withNode({ schedulers: 2 }, async (node) => {
  const deployed = await node.deploy(image);
  if (deployed.status !== 'succeeded') throw new Error(`deploy of the fixture failed: ${deployed.reason}`);
  const client = new AppClient(node.url, APP, CLIENT_LOOPS);
  try {
    const first = await client.get({ path: '/', headers: { 'flick-key': KEY } });
    if (first.status !== 200) throw new Error(`the fixture answered ${first.status}: ${first.body.toString()}`);
    const id = await instanceId(node);
    progress(`node at ${node.url}; moving ${id} (1 MiB of state) ${MIGRATIONS} times per run under ${CLIENT_LOOPS} client loops`);
    let on = (await node.instances()).find((i) => i.id === id)!.scheduler;
    const moves: MigrationTiming[] = [];
    const move = async () => {
      on = 1 - on;
      const timing = await node.migrate(id, on);
      moves.push(timing);
      return timing.pauseMs;
    };
    const warmup = await run([client], move, WARMUP_MOVES);
    progress(`warm-up (${WARMUP_MOVES} moves, not counted): ${JSON.stringify(warmup)}`);
    moves.length = 0;
    const runs: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await run([client], move));
      progress(`run ${i + 1}/${RUNS}: ${JSON.stringify(runs[i])}`);
    }
    const final = await client.get({ path: '/state', headers: { 'flick-key': KEY } });
    const intact = final.status === 200 && final.body.subarray(4).equals(expectedState());
    const slowest = moves.sort((a, b) => b.pauseMs - a.pauseMs).slice(0, 5);
    return { runs, intact, finalCount: final.body.readUInt32LE(0), slowest };
  } finally {
    await client.close();
  }
});

/** The same between two node processes of a cluster (etcd from Debian, like the tests'). */
async function crossNode(): Promise<{ runs: RunResult[]; intact: boolean }> {
  const etcd = await startEtcd();
  const nodes: NodeProcess[] = [];
  const clients: AppClient[] = [];
  try {
    for (const name of ['bench-a', 'bench-b']) nodes.push(await NodeProcess.start({ schedulers: 1, cluster: { etcd: etcd.endpoint, name } }));
    const names = new Map(nodes.map((n, i) => [n, i === 0 ? 'bench-a' : 'bench-b']));
    const deployed = await nodes[0].deploy(image);
    if (deployed.status !== 'succeeded') throw new Error(`deploy of the fixture failed: ${deployed.reason}`);
    for (const n of nodes) clients.push(new AppClient(n.url, APP, CLIENT_LOOPS / 2));
    // The second node serves once its route sync has loaded the release (image fetched from the first).
    for (let t = Date.now(); (await clients[1].get({ path: '/state', headers: { 'flick-key': 'probe' } })).status !== 200; ) {
      if (Date.now() - t > 30_000) throw new Error('the second node did not serve the app within 30 s');
      await sleep(100);
    }
    const first = await clients[0].get({ path: '/', headers: { 'flick-key': KEY } });
    if (first.status !== 200) throw new Error(`the fixture answered ${first.status}: ${first.body.toString()}`);
    let at = nodes[0];
    let id = (await at.instances()).find((i) => i.app === APP && i.key === KEY)?.id;
    if (!id) {
      at = nodes[1];
      id = await instanceId(at);
    }
    progress(`cluster of ${nodes.map((n) => n.url).join(', ')}; moving ${id} between the nodes ${MIGRATIONS} times per run`);
    const move = async () => {
      const to = at === nodes[0] ? nodes[1] : nodes[0];
      const moved = await at.move(id!, names.get(to)!);
      id = moved.instance;
      at = to;
      return moved.pauseMs;
    };
    progress(`warm-up (${WARMUP_MOVES} moves, not counted): ${JSON.stringify(await run(clients, move, WARMUP_MOVES))}`);
    const runs: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await run(clients, move));
      progress(`cross-node run ${i + 1}/${RUNS}: ${JSON.stringify(runs[i])}`);
    }
    const final = await clients[0].get({ path: '/state', headers: { 'flick-key': KEY } });
    return { runs, intact: final.status === 200 && final.body.subarray(4).equals(expectedState()) };
  } finally {
    for (const c of clients) await c.close();
    for (const n of nodes) await n.stop();
    await etcd.stop();
  }
}

/** `--in-node`: skip the cluster half (to iterate on the in-node figure). */
const cross = process.argv.includes('--in-node') ? { runs: [], intact: false } : await crossNode();
const med = (k: keyof RunResult) => round(median(result.runs.map((r) => r[k])), 3);
const crossMed = (k: keyof RunResult) => round(median(cross.runs.map((r) => r[k])), 3);
emit({
  bench: 'migrate',
  pause_p99_ms: med('pause_p99_ms'),
  pause_p50_ms: med('pause_p50_ms'),
  pause_max_ms: med('pause_max_ms'),
  client_p99_ms: med('client_p99_ms'),
  client_max_during_migration_ms: med('client_max_during_ms'),
  client_baseline_p99_ms: med('baseline_p99_ms'),
  errors: result.runs.reduce((a, r) => a + r.errors, 0),
  count_gaps: result.runs.reduce((a, r) => a + r.count_gaps, 0),
  state_intact: result.intact,
  requests_counted: result.finalCount,
  cross_node_pause_p99_ms: crossMed('pause_p99_ms'),
  cross_node_pause_p50_ms: crossMed('pause_p50_ms'),
  cross_node_pause_max_ms: crossMed('pause_max_ms'),
  cross_node_client_max_during_migration_ms: crossMed('client_max_during_ms'),
  cross_node_errors: cross.runs.reduce((a, r) => a + r.errors, 0),
  cross_node_count_gaps: cross.runs.reduce((a, r) => a + r.count_gaps, 0),
  cross_node_state_intact: cross.intact,
  target: 'pause_p99_ms <= 5 within a node, cross_node_pause_p99_ms <= 20 between nodes, errors = 0',
  conditions: `flick up --schedulers 2 in a child process; fixture bench/fixtures/state-1mib.wat (per-key, 1 MiB of touched state + counter); ${WARMUP_MOVES} warm-up moves (not counted), then ${RUNS} runs x ${MIGRATIONS} migrations alternating scheduler 0 <-> 1 via POST /_flick/api/instances/ID/migrate, ${GAP_MS} ms apart, under ${CLIENT_LOOPS} closed client loops on the key (undici keep-alive); pause = the API's pauseMs; client figures from every request's latency (baseline: ${BASELINE_MS} ms before the first move of each run); medians of per-run figures; cross_node_*: two flick up --etcd --schedulers 1 processes and a Debian etcd, the instance moved between them via POST /_flick/api/instances/ID/move, half the client loops on each node; ${machineNote()}`,
  slowest_moves: result.slowest.map((m) => ({ pause_ms: round(m.pauseMs, 3), snapshot_ms: round(m.phases.snapshotMs, 3), restore_ms: round(m.phases.restoreMs, 3), snapshot: m.phases.snapshot, restore: m.phases.restore })),
  runs: result.runs,
  cross_node_runs: cross.runs,
});

/**
 * node-workers: a flick instance beside Node's own units of isolation, measured in the same run —
 * a worker_threads Worker, a child process running node, and a child process running `cat` (the
 * floor of any process): spawn → first answer, and memory per idle unit (bench/_node-units.ts);
 * flick's figures are the spawn bench's loop and the density bench in a fresh process.
 */
import { emit, percentile, progress, quick, repeat, round, sortedCopy } from './_harness.js';
import { machineNote } from './_machine.js';
import { flickSpawnRuns, SPAWN_BURST } from './_spawn.js';
import { flickKibPerInstance } from './_density.js';
import { catChild, idleKib, nodeChild, spawnTimes, workerThread, type UnitKind } from './_node-units.js';

const RUNS = quick ? 3 : 5;
const SPAWNS = quick ? 5 : 20;
const IDLE_UNITS = quick ? 4 : 16;
const FLICK_ROUNDS = quick ? 8 : 40;
const FLICK_UNITS = quick ? 20_000 : 100_000;
const MEMORY_RUNS = quick ? 1 : 3;

const kinds = { worker: workerThread, child: nodeChild, cat: catChild } satisfies Record<string, UnitKind>;
type Kind = keyof typeof kinds;

async function measure(kind: UnitKind): Promise<{ spawn_p50_us: number; spawn_p99_us: number; idle_kib: number }> {
  await spawnTimes(kind, 1); // warm-up
  const { median: m } = await repeat(RUNS, async () => {
    const s = sortedCopy(await spawnTimes(kind, SPAWNS));
    return { spawn_p50_us: percentile(s, 50), spawn_p99_us: percentile(s, 99), idle_kib: await idleKib(kind, IDLE_UNITS) };
  });
  return m;
}

const peers = {} as Record<Kind, Awaited<ReturnType<typeof measure>>>;
for (const k of Object.keys(kinds) as Kind[]) {
  progress(kinds[k].name);
  peers[k] = await measure(kinds[k]);
}
const spawn = await flickSpawnRuns(RUNS, FLICK_ROUNDS);
const memory = await flickKibPerInstance(FLICK_UNITS, MEMORY_RUNS);

const peerFigures = Object.fromEntries(
  (Object.keys(kinds) as Kind[]).flatMap((k) => [
    [`${k}_spawn_p50_us`, round(peers[k].spawn_p50_us, 0)],
    [`${k}_spawn_p99_us`, round(peers[k].spawn_p99_us, 0)],
    [`${k}_idle_kib`, round(peers[k].idle_kib, 0)],
  ]),
);
emit({
  bench: 'node-workers',
  spawn_p50_us: round(spawn.median.p50),
  spawn_p99_us: round(spawn.median.p99),
  kib_per_instance: round(memory.kib),
  ...peerFigures,
  peer: `Node ${process.version}: ${Object.values(kinds).map((k) => k.name).join(', ')}`,
  conditions:
    `spawn → first answer: Worker = new Worker(echo, { eval: true }) → postMessage → its reply; node child = spawn(node -e echo) → a line on stdin → its echo on stdout; cat = the same with cat; ${RUNS} runs x ${SPAWNS} units started and stopped one at a time after one warm-up, medians of per-run p50/p99; ` +
    `flick = examples/hello from a warm pool (as the spawn bench), ${RUNS} runs x ${FLICK_ROUNDS * SPAWN_BURST} spawns. ` +
    `idle memory: ${IDLE_UNITS} units kept after one answer each; Workers = this process's RSS after GC minus before, per Worker; children = their private memory (USS, /proc/PID/smaps_rollup), mean; medians of ${RUNS} runs; ` +
    `flick = the density bench with ${FLICK_UNITS} instances in a fresh process (RSS after GC minus before), median of ${MEMORY_RUNS}. ${machineNote()}`,
  runs: { flick_spawn: spawn.runs, flick_kib_per_instance: memory.runs },
});

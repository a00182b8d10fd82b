/**
 * spawn: a fresh instance of examples/hello with its first call done, as the node does it for a
 * per-request app: memory from the pool, instantiate, start code, one request, dispose.
 * Bursts of spawns are timed one by one; between bursts the pool refills (untimed), as it does in
 * the node's idle time. The same loop without a pool is the peer figure.
 */
import { emit, progress, quick, repeat, round } from './_harness.js';
import { fullGc, helloApps, measureSpawns, SPAWN_BURST } from './_spawn.js';

const ROUNDS = quick ? 8 : 40;
const RUNS = quick ? 3 : 7;

const { pooled, unpooled } = await helloApps();
const measure = (app: typeof pooled, refill: boolean) => measureSpawns(app, refill, ROUNDS);

// The unpooled loop leaves garbage (a memory per spawn) whose collection would land in whatever
// runs next, so each side runs its repetitions on its own, with a full collection in between.
progress('warming up');
measure(pooled, true);
fullGc();
const pooledRuns = await repeat(RUNS, () => {
  const a = measure(pooled, true);
  return { spawn_p50_us: a.p50, spawn_p99_us: a.p99 };
});
measure(unpooled, false);
fullGc();
const unpooledRuns = await repeat(RUNS, () => {
  const b = measure(unpooled, false);
  return { unpooled_p50_us: b.p50, unpooled_p99_us: b.p99 };
});
const median = { ...pooledRuns.median, ...unpooledRuns.median };
const runs = pooledRuns.runs.map((r, i) => ({ ...r, ...unpooledRuns.runs[i] }));
emit({
  bench: 'spawn',
  spawn_p50_us: round(median.spawn_p50_us),
  spawn_p99_us: round(median.spawn_p99_us),
  unpooled_spawn_p50_us: round(median.unpooled_p50_us),
  unpooled_spawn_p99_us: round(median.unpooled_p99_us),
  pool_misses: pooled.pool.misses,
  conditions: `examples/hello, ${RUNS} runs x ${ROUNDS} bursts x ${SPAWN_BURST} spawns, pool refilled between bursts (untimed); pooled and unpooled runs separated by a full GC; medians of per-run percentiles`,
  runs,
});

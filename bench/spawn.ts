/**
 * spawn: a fresh instance of examples/hello with its first call done, as the node does it for a
 * per-request app: memory from the pool, instantiate, start code, one request, dispose.
 * Bursts of spawns are timed one by one; between bursts the pool refills (untimed), as it does in
 * the node's idle time. The same loop without a pool is the peer figure.
 */
import { emit, nowUs, percentile, progress, quick, repeat, round, sortedCopy } from './_harness.js';
import { exampleImage, getRequest, loadApp } from './_apps.js';

const BURST = 250;
const ROUNDS = quick ? 8 : 40;
const RUNS = quick ? 3 : 7;

const image = await exampleImage('hello');
const pooled = loadApp(image, { pool: { coldTarget: BURST, batch: BURST } });
const unpooled = loadApp(image, { pool: { coldTarget: 0 } });
const req = getRequest();

function measure(app: typeof pooled, refill: boolean): { p50: number; p99: number } {
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (refill) app.pool.fill();
    for (let i = 0; i < BURST; i++) {
      const t0 = nowUs();
      const inst = app.spawn();
      const res = inst.call(req);
      samples.push(nowUs() - t0);
      if (res.status !== 200) throw new Error(`hello answered ${res.status}`);
      inst.dispose();
    }
  }
  const s = sortedCopy(samples);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
}

// The unpooled loop leaves garbage (a memory per spawn) whose collection would land in whatever
// runs next, so each side runs its repetitions on its own, with a full collection in between.
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
progress('warming up');
measure(pooled, true);
gc();
const pooledRuns = await repeat(RUNS, () => {
  const a = measure(pooled, true);
  return { spawn_p50_us: a.p50, spawn_p99_us: a.p99 };
});
measure(unpooled, false);
gc();
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
  conditions: `examples/hello, ${RUNS} runs x ${ROUNDS} bursts x ${BURST} spawns, pool refilled between bursts (untimed); pooled and unpooled runs separated by a full GC; medians of per-run percentiles`,
  runs,
});

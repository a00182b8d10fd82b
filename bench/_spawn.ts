/**
 * Timing flick spawns the way the node does them for a per-request app: memory from the pool,
 * instantiate, start code, one request, dispose. Shared by the spawn bench and the peer benches
 * (erlang, node-workers, crun), so every comparison uses the same flick loop.
 */
import { nowUs, percentile, repeat, sortedCopy } from './_harness.js';
import { exampleImage, getRequest, loadApp } from './_apps.js';
import type { WasmApp } from '../src/runtime/wasm/app.js';

/** Spawns per burst: the pool holds a burst, refilled (untimed) between bursts as in the node's idle time. */
export const SPAWN_BURST = 250;

/** µs. A type, not an interface: `repeat` takes records of numbers. */
export type SpawnFigures = { p50: number; p99: number };

/** examples/hello loaded twice: with a warm pool of a burst's size, and without a pool (the peer loop). */
export async function helloApps(): Promise<{ pooled: WasmApp; unpooled: WasmApp }> {
  const image = await exampleImage('hello');
  return {
    pooled: loadApp(image, { pool: { coldTarget: SPAWN_BURST, batch: SPAWN_BURST } }),
    unpooled: loadApp(image, { pool: { coldTarget: 0 } }),
  };
}

/** `rounds` bursts of spawns, each timed alone (spawn → first answer); p50 and p99 in µs. */
export function measureSpawns(app: WasmApp, refill: boolean, rounds: number): SpawnFigures {
  const req = getRequest();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (refill) app.pool.fill();
    for (let i = 0; i < SPAWN_BURST; i++) {
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

/** flick's spawn figures for a peer bench: `runs` runs of `rounds` bursts from the warm pool, after one warm-up run. */
export async function flickSpawnRuns(runs: number, rounds: number): Promise<{ median: SpawnFigures; runs: SpawnFigures[] }> {
  const { pooled } = await helloApps();
  measureSpawns(pooled, true, rounds);
  return repeat(runs, () => measureSpawns(pooled, true, rounds));
}

/** A full collection where the process allows it (`flick bench` runs benches with --expose-gc). */
export const fullGc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * flick's memory per live idle instance for the peer benches (erlang, node-workers): the density
 * bench run in a fresh process per measurement, as each Erlang VM, worker and child process of the
 * peers is fresh; memory freed by earlier work in the same process would otherwise hide the cost.
 */
import { runBench } from './_bench-process.js';
import { median } from './_harness.js';

const RUN_TIMEOUT_MS = 5 * 60_000;

export async function flickKibPerInstance(instances: number, runs: number): Promise<{ kib: number; runs: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const o = await runBench('density', ['--instances', String(instances)], RUN_TIMEOUT_MS);
    if (!o.ok) throw new Error(`density --instances ${instances}: ${o.error}`);
    all.push(Number(o.result.rss_per_instance_kib));
  }
  return { kib: median(all), runs: all };
}

/**
 * firstreq: an HTTP request for a never-seen key, over keep-alive loopback, until its response —
 * the node spawns the key's instance on the spot (instant bursting). A real node (`flick up --demo`
 * in a child process) serves examples/counter, keyed on `Flick-Key`; requests go one at a time so
 * each is timed alone. The same loop on one already-seen key is the warm figure beside it.
 */
import { machineNote } from './_machine.js';
import { emit, percentile, progress, quick, repeat, round, sortedCopy } from './_harness.js';
import { withNode } from './_node-process.js';
import { AppClient, type Sample } from './_http.js';

const REQUESTS = quick ? 300 : 1000;
const RUNS = quick ? 3 : 5;
const WARMUP = 200;

let keySeq = 0;
const newKey = () => ({ path: '/', headers: { 'flick-key': `k${process.pid}-${++keySeq}` } });
const seenKey = { path: '/', headers: { 'flick-key': 'warm' } };

async function sequential(client: AppClient, next: () => { path: string; headers: Record<string, string> }, n: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const s = await client.timed(next());
    if (s.status !== 200) throw new Error(`counter answered ${s.status} (${s.error}): ${s.body.toString()}`);
    out.push(s);
  }
  return out;
}

function latencies(samples: Sample[]): Float64Array {
  return sortedCopy(samples.map((s) => s.latencyUs));
}

const result = await withNode({ demo: true }, async (node) => {
  const client = new AppClient(node.url, 'counter', 1);
  try {
    progress(`node at ${node.url}; warming up`);
    await sequential(client, newKey, WARMUP);
    await sequential(client, () => seenKey, WARMUP);
    const { median, runs } = await repeat(RUNS, async () => {
      const first = latencies(await sequential(client, newKey, REQUESTS));
      const warm = latencies(await sequential(client, () => seenKey, REQUESTS));
      return { p50: percentile(first, 50), p99: percentile(first, 99), warm_p50: percentile(warm, 50), warm_p99: percentile(warm, 99) };
    });
    const instances = (await node.instances()).filter((i) => i.app === 'counter').length;
    return { median, runs, instances };
  } finally {
    await client.close();
  }
});

emit({
  bench: 'firstreq',
  first_request_p50_us: round(result.median.p50, 1),
  first_request_p99_us: round(result.median.p99, 1),
  warm_request_p50_us: round(result.median.warm_p50, 1),
  warm_request_p99_us: round(result.median.warm_p99, 1),
  target_p50_us: 1000,
  counter_instances_at_end: result.instances,
  conditions: `flick up --demo in a child process (one scheduler per core); examples/counter per-key on Flick-Key; one undici keep-alive connection over loopback, one request at a time; ${RUNS} runs x ${REQUESTS} never-seen keys (+ ${REQUESTS} requests to one seen key for the warm figure) after ${WARMUP} warm-up requests; medians of per-run percentiles; ${machineNote()}`,
  runs: result.runs,
});

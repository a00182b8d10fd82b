/**
 * rps: examples/hello over HTTP keep-alive on a real node (`flick up --demo` in a child process),
 * and the same answer from a JS worker on workerd as the peer, both measured in the same run by
 * the same load generator (wrk, a separate process) at the same settings. Runs alternate between
 * flick and workerd so that drift in the machine affects both alike.
 */
import { machineNote } from './_machine.js';
import { emit, median, progress, quick, round } from './_harness.js';
import { withNode } from './_node-process.js';
import { startWorkerd } from './_workerd.js';
import { wrk, wrkAvailable, type WrkOptions, type WrkResult } from './_wrk.js';

const RUNS = quick ? 1 : 3;
const SECONDS = quick ? 3 : 8;
const WARMUP_SECONDS = quick ? 1 : 2;
const CONNECTIONS = 32;
const THREADS = 1;

// The same body examples/hello answers with, and the same content type.
const PEER_WORKER = `export default {
  fetch(req) {
    return new Response(\`hello from flick: \${req.method} \${new URL(req.url).pathname}\\n\`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },
};
`;

if (!wrkAvailable()) throw new Error('wrk is not installed: run scripts/install-system-deps.sh bench (as root)');

type Target = Pick<WrkOptions, 'url' | 'host'>;

async function measure(target: Target, seconds: number): Promise<WrkResult> {
  const r = await wrk({ ...target, connections: CONNECTIONS, threads: THREADS, seconds });
  if (r.errors > 0) throw new Error(`${target.url} had ${r.errors} failed requests under load`);
  return r;
}

const result = await withNode({ demo: true }, async (node) => {
  const peer = await startWorkerd(PEER_WORKER);
  try {
    const flick: Target = { url: `${node.url}/`, host: 'hello.localhost' };
    const workerd: Target = { url: `${peer.url}/` };
    progress(`flick at ${node.url}, workerd at ${peer.url}; warming up`);
    await measure(flick, WARMUP_SECONDS);
    await measure(workerd, WARMUP_SECONDS);
    const runs: Array<{ flick: WrkResult; workerd: WrkResult }> = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push({ flick: await measure(flick, SECONDS), workerd: await measure(workerd, SECONDS) });
      progress(`run ${i + 1}/${RUNS}: ${JSON.stringify(runs[i])}`);
    }
    return runs;
  } finally {
    await peer.stop();
  }
});

const med = (side: 'flick' | 'workerd', k: keyof WrkResult) => median(result.map((r) => r[side][k]));
emit({
  bench: 'rps',
  rps: round(med('flick', 'rps'), 0),
  p50_ms: round(med('flick', 'p50_ms')),
  p99_ms: round(med('flick', 'p99_ms')),
  peer_rps: round(med('workerd', 'rps'), 0),
  peer_p50_ms: round(med('workerd', 'p50_ms')),
  peer_p99_ms: round(med('workerd', 'p99_ms')),
  peer: 'workerd (npm @cloudflare/workerd-linux-64, one process, default config), JS worker answering the same body',
  target: 'rps >= peer_rps',
  conditions: `wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s --latency over loopback keep-alive, after ${WARMUP_SECONDS} s warm-up each; ${RUNS} runs alternating flick / workerd, medians; flick up --demo (one scheduler per core), GET / with Host hello.localhost; both servers and wrk share this machine's cores; ${machineNote()}`,
  runs: result,
});

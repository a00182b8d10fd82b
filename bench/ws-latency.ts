/**
 * ws-latency: what holding WebSockets in holder processes adds to a message's round trip, and that
 * plain HTTP does not pay for it. The same node (Daemon with examples/chat, in its own process)
 * runs with its sockets in its own process (`--holders 0`) and in holders (`--holders 2`), turn
 * about, several rounds, so that a shared machine's load drifts over both alike. Per mode: one
 * connection sending a message and awaiting its answer, one at a time (the hop's own cost); 32
 * connections doing the same at once (under load); sequential keep-alive HTTP GETs to the same app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { WebSocket } from 'ws';
import { emit, median, nowUs, percentile, progress, quick, round, sortedCopy } from './_harness.js';
import { awaitMessage, spawnRaised, stop } from './_child.js';
import { AppClient } from './_http.js';
import { CHAT_HOST, ROOM_PATH, type NodeReady } from './_connections-protocol.js';
import { machineNote } from './_machine.js';

const MODES = [0, 2];
const ROUNDS = quick ? 1 : 3;
const SEQUENTIAL = quick ? 300 : 2000;
const PARALLEL_SOCKETS = 32;
const PARALLEL_EACH = quick ? 20 : 100;
const HTTP_REQUESTS = quick ? 300 : 2000;
const WARMUP = 300;
/** Everything is killed after this, whatever state it is in. */
const DEADLINE_MS = 300_000;

const here = fileURLToPath(new URL('.', import.meta.url));
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const children = new Set<ChildProcess>();
const deadline = setTimeout(() => {
  progress(`deadline of ${DEADLINE_MS} ms passed: stopping`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

function openSocket(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${ROOM_PATH}`, { headers: { host: CHAT_HOST }, perMessageDeflate: false });
    ws.once('message', () => resolve(ws)); // the room's greeting
    ws.once('error', reject);
  });
}

/** `n` messages on one socket, each sent once the previous one's answer arrived; round trips in µs. */
async function pingPong(ws: WebSocket, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowUs();
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('close', () => reject(new Error('the socket closed during the benchmark')));
      ws.send('ping');
    });
    out.push(nowUs() - t0);
    ws.removeAllListeners('close');
  }
  return out;
}

interface ModeFigures {
  seq: number[];
  par: number[];
  http: number[];
}

async function measure(holders: number): Promise<ModeFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flick-bench-ws-latency-'));
  const node = spawnRaised(join(here, `_ws-node${ext}`), ['--data', dataDir, '--holders', String(holders)]);
  children.add(node);
  try {
    const { port } = await awaitMessage<NodeReady>(node, 'ready');
    const one = await openSocket(port);
    await pingPong(one, WARMUP);
    const seq = await pingPong(one, SEQUENTIAL);
    const many = await Promise.all(Array.from({ length: PARALLEL_SOCKETS }, () => openSocket(port)));
    const par = (await Promise.all(many.map((ws) => pingPong(ws, PARALLEL_EACH)))).flat();
    for (const ws of [one, ...many]) ws.terminate();
    const client = new AppClient(`http://127.0.0.1:${port}`, 'chat', 1, 10_000);
    const http: number[] = [];
    for (let i = 0; i < WARMUP + HTTP_REQUESTS; i++) {
      const s = await client.timed({ path: ROOM_PATH });
      if (s.status !== 200) throw new Error(`chat answered ${s.status} (${s.error})`);
      if (i >= WARMUP) http.push(s.latencyUs);
    }
    await client.close();
    return { seq, par, http };
  } finally {
    await stop(node);
    children.delete(node);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const byMode = new Map<number, Array<{ seqP50: number; seqP99: number; parP50: number; parP99: number; httpP50: number; httpP99: number }>>();
for (let r = 0; r < ROUNDS; r++) {
  for (const holders of MODES) {
    const f = await measure(holders);
    const [seq, par, http] = [sortedCopy(f.seq), sortedCopy(f.par), sortedCopy(f.http)];
    const row = { seqP50: percentile(seq, 50), seqP99: percentile(seq, 99), parP50: percentile(par, 50), parP99: percentile(par, 99), httpP50: percentile(http, 50), httpP99: percentile(http, 99) };
    progress(`round ${r + 1}, ${holders} holders: ${JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, round(v)])))}`);
    byMode.set(holders, [...(byMode.get(holders) ?? []), row]);
  }
}

const med = (holders: number, k: 'seqP50' | 'seqP99' | 'parP50' | 'parP99' | 'httpP50' | 'httpP99') => round(median(byMode.get(holders)!.map((r) => r[k])));
const [local, held] = MODES;
emit({
  bench: 'ws-latency',
  rtt_p50_us_in_process: med(local, 'seqP50'),
  rtt_p99_us_in_process: med(local, 'seqP99'),
  rtt_p50_us_holders: med(held, 'seqP50'),
  rtt_p99_us_holders: med(held, 'seqP99'),
  rtt_added_p50_us: round(med(held, 'seqP50') - med(local, 'seqP50')),
  rtt32_p50_us_in_process: med(local, 'parP50'),
  rtt32_p99_us_in_process: med(local, 'parP99'),
  rtt32_p50_us_holders: med(held, 'parP50'),
  rtt32_p99_us_holders: med(held, 'parP99'),
  http_p50_us_in_process: med(local, 'httpP50'),
  http_p99_us_in_process: med(local, 'httpP99'),
  http_p50_us_holders: med(held, 'httpP50'),
  http_p99_us_holders: med(held, 'httpP99'),
  rounds: ROUNDS,
  conditions: `examples/chat, one room; ${SEQUENTIAL} sequential messages on one socket, ${PARALLEL_SOCKETS}×${PARALLEL_EACH} at once, ${HTTP_REQUESTS} sequential GETs; medians over ${ROUNDS} rounds alternating 0 and ${held} holders. ${machineNote()}`,
});

/**
 * connections: idle WebSockets one node holds, and the resident memory each costs it. The node
 * (Daemon with examples/chat, what `flick up` runs) has its own process, and past its open-file
 * limit (20,000 per process here, not raisable) it holds WebSockets in holder processes
 * (`--holders N|auto`, as `flick up --ws-holders`; src/ingress/ws-holder/). Client processes, each
 * under the same limit, open connections to one chat room from loopback addresses 127.0.0.2,
 * 127.0.0.3, … (one per client: a source address has at most ~64,000 ports) and hold them idle.
 * The figure is the node's VmRSS (main process + holders) with every connection open minus before,
 * both after GC and after a warm-up round (so one-time costs such as compiled code are not
 * counted), per connection. A sample must still get answers from the room. Target 100,000; the
 * result says what capped the count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { emit, progress, quick, round } from './_harness.js';
import { ask, awaitMessage, cpuSeconds, rssBytes, spawnRaised, stop } from './_child.js';
import type { ClientReady, NodeReady, NodeSettled, OpenCommand, Opened, Verified, VerifyCommand } from './_connections-protocol.js';

const targetFlag = process.argv.indexOf('--target');
const TARGET = targetFlag > 0 ? Number(process.argv[targetFlag + 1]) : quick ? 2_000 : 100_000;
/** Local ports the clients bind, per source address. */
const FIRST_PORT = 10_000;
const PER_ADDRESS = 65_536 - FIRST_PORT;
const WARMUP = quick ? 200 : 2_000;
/** Handshakes in flight at once over all clients: below the node's accept backlog (511), so no SYN waits out a retransmit. */
const IN_FLIGHT = 384;
const SAMPLES = 200;
const CLIENT_FILE_RESERVE = 64;
const holdersFlag = process.argv.indexOf('--holders');
const HOLDERS = holdersFlag > 0 ? process.argv[holdersFlag + 1] : 'auto';
/** Everything is killed after this, whatever state it is in. */
const DEADLINE_MS = 360_000;

const here = fileURLToPath(new URL('.', import.meta.url));
/** The children's scripts are beside this one, compiled or not. */
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

const dataDir = mkdtempSync(join(tmpdir(), 'flick-bench-connections-'));
const children: ChildProcess[] = [];
const deadline = setTimeout(() => {
  progress(`deadline of ${DEADLINE_MS} ms passed: stopping`);
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

function start(script: string, args: string[] = []): ChildProcess {
  const child = spawnRaised(join(here, script), args);
  children.push(child);
  return child;
}

const settle = (node: ChildProcess) => ask<NodeSettled>(node, { t: 'settle' }, 'settled');

const rss = (pids: number[]) => pids.reduce((n, pid) => n + rssBytes(pid), 0);
const cpu = (pids: number[]) => pids.reduce((n, pid) => n + cpuSeconds(pid), 0);

try {
  const node = start(`_ws-node${ext}`, ['--data', dataDir, '--holders', HOLDERS]);
  const ready = await awaitMessage<NodeReady>(node, 'ready');
  const target = Math.min(TARGET, ready.capacity);
  const cappedBy = target < TARGET
    ? ready.holders > 0
      ? `the open-file limits of the node's ${ready.holders} WebSocket holder processes (${ready.fileLimit} each)`
      : `the node process's open file limit (${ready.fileLimit}; one descriptor per socket; it could not be raised here: raising the hard limit needs CAP_SYS_RESOURCE)`
    : 'the target';
  progress(`node pid ${node.pid} on port ${ready.port}, open file limit ${ready.fileLimit} per process, ${ready.holders} WebSocket holders: aiming at ${target} connections (capped by ${cappedBy})`);

  const first = start(`_ws-client${ext}`);
  const perClient = Math.min(PER_ADDRESS, (await awaitMessage<ClientReady>(first, 'ready')).fileLimit - CLIENT_FILE_RESERVE);
  const clients = [first];
  while (clients.length * perClient < target) clients.push(start(`_ws-client${ext}`));
  await Promise.all(clients.slice(1).map((c) => awaitMessage<ClientReady>(c, 'ready')));
  const concurrency = Math.max(8, Math.floor(IN_FLIGHT / clients.length));
  const openCommand = (localAddress: string, count: number): OpenCommand => ({ t: 'open', port: ready.port, count, localAddress, firstPort: FIRST_PORT, concurrency });
  const clientAddress = (i: number) => `127.0.0.${2 + i}`;

  // Warm-up round: code paths compiled, pools grown; then back to no connections. From an address
  // of its own: its closed connections linger in TIME_WAIT on the ports they used.
  await ask<Opened, OpenCommand>(first, { ...openCommand('127.0.1.2', WARMUP), concurrency: IN_FLIGHT }, 'opened');
  await ask(first, { t: 'drop' }, 'dropped');
  let baseline = await settle(node);
  for (let i = 0; i < 100 && baseline.websockets > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    baseline = await settle(node);
  }
  const before = rss(baseline.pids);
  const mainBefore = rssBytes(node.pid!);

  const cpuBefore = cpu(baseline.pids);
  const t0 = performance.now();
  const shares = clients.map((_, i) => Math.min(perClient, target - i * perClient));
  const opened = await Promise.all(clients.map((c, i) => ask<Opened>(c, openCommand(clientAddress(i), shares[i]), 'opened')));
  const openMs = performance.now() - t0;
  const cpuOpening = cpu(baseline.pids) - cpuBefore;
  const failed = opened.reduce((n, o) => n + o.failed, 0);
  for (const [i, o] of opened.entries()) progress(`client ${i} (${clientAddress(i)}): ${o.open} open, ${o.failed} failed${o.firstError ? ` (${o.firstError})` : ''} in ${round(o.ms)} ms`);
  const loaded = await settle(node);
  const held = loaded.websockets;
  const after = rss(loaded.pids);
  const mainAfter = rssBytes(node.pid!);
  const samePids = loaded.pids.join() === baseline.pids.join();

  const verified = await Promise.all(clients.map((c) => ask<Verified, VerifyCommand>(c, { t: 'verify', samples: Math.ceil(SAMPLES / clients.length), timeoutMs: 10_000 }, 'verified')));
  const sampled = verified.reduce((n, v) => n + v.sampled, 0);
  const answered = verified.reduce((n, v) => n + v.answered, 0);
  const dropped = verified.reduce((n, v) => n + v.dropped, 0);
  if (answered < sampled) throw new Error(`${sampled - answered} of ${sampled} sampled connections did not answer`);
  if (!samePids) throw new Error(`a WebSocket holder was restarted during the run (pids ${baseline.pids} → ${loaded.pids}): the memory figure would be wrong`);

  emit({
    bench: 'connections',
    connections: held,
    kib_per_connection: round((after - before) / 1024 / held),
    main_kib_per_connection: round((mainAfter - mainBefore) / 1024 / held),
    heap_kib_per_connection: round((loaded.heapUsed - baseline.heapUsed) / 1024 / held),
    target: TARGET,
    capped_by: cappedBy,
    holders: ready.holders,
    open_file_limit_per_process: ready.fileLimit,
    node_rss_mib: round(after / 1048576),
    failed,
    dropped,
    verified: `${answered}/${sampled}`,
    opens_per_s: round((held / openMs) * 1000),
    node_cpu_us_per_open: round((cpuOpening / held) * 1e6),
    client_processes: clients.length,
    conditions: `examples/chat, every connection in one room (one instance), idle after its greeting; node VmRSS (main process + ${ready.holders} holders) after GC with all open minus after a ${WARMUP}-connection warm-up`,
  });
} finally {
  await Promise.all(children.map((c) => stop(c)));
  rmSync(dataDir, { recursive: true, force: true });
}

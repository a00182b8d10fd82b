/**
 * The main process's side of the WebSocket holders: K child processes that hold accepted sockets
 * (holder.ts), because open files are limited per process and a node must hold more WebSockets
 * than one process may have descriptors. Only WebSocket traffic crosses the IPC channel; plain
 * HTTP never leaves the main process.
 *
 * The ingress keeps every semantic (routing, the app's `open`, gates, order, backpressure, close
 * codes): a HeldConnection is the ingress's Connection whose socket is elsewhere. An upgrade the
 * app accepted goes, with its handle, to the holder with the fewest connections. A holder that dies
 * takes its sockets with it (their apps hear `close` 1006), is logged through the `exit` event and is
 * started again; holders die with the node (their IPC channel's disconnect ends them).
 *
 * Holders start with the node's first WebSocket, not with the node: K Node processes cost ~3 s of a
 * loaded 2-core machine and ~55 MiB each, which a node that never serves a WebSocket (most of them)
 * should not pay; that first upgrade waits for them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { HintedError } from '../../hinted-error.js';
import type { Connection, ConnectionInfo, ConnectionSink, Greeting, Refusal, WebSocketTransport } from '../ws-connection.js';
import { CLOSE, exactBytes } from '../ws-socket.js';
import { MAX_PAYLOAD_ARG, MAX_QUEUED_ARG, type FromHolder, type ToHolder } from './protocol.js';
import { holderCapacity } from './sizing.js';
import { HeldConnection, Holder, type HolderStats } from './holder-handle.js';

/** A holder that has not said `ready` by then is taken for broken (a busy 2-core machine loading from sources needs seconds). */
const START_TIMEOUT_MS = 30_000;
/** Holders that do not exit after `shutdown` within this are killed. */
const STOP_TIMEOUT_MS = 3_000;
/** A holder that lived this long before dying is restarted at once; one that keeps dying waits longer each time. */
const HEALTHY_UPTIME_MS = 10_000;
const MAX_RESTART_DELAY_MS = 5_000;
const STATS_TIMEOUT_MS = 20_000;

export class WebSocketHolderError extends HintedError {}

export type { HolderStats };

/** What the node logs when a holder dies. */
export interface HolderExit {
  index: number;
  pid: number;
  code: number | null;
  signal: string | null;
  /** Connections it held: closed for their clients, `close` 1006 for their apps. */
  connections: number;
  restartInMs: number;
}

/** What a holder enforces itself: message size (1009) and messages relayed but not yet taken (backpressure). */
export interface HolderLimits {
  maxMessageBytes: number;
  maxQueuedMessages: number;
}

export class HolderPool extends EventEmitter<{ exit: [HolderExit]; restart: [{ index: number; pid: number }]; failed: [Error] }> implements WebSocketTransport {
  private readonly holders: Array<Holder | null>;
  private readonly failures: number[];
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private closing = false;
  private started = false;
  private starting: Promise<void> | null = null;

  constructor(
    readonly count: number,
    private readonly limits: HolderLimits,
    private readonly sink: ConnectionSink,
  ) {
    super();
    this.holders = new Array<Holder | null>(count).fill(null);
    this.failures = new Array<number>(count).fill(0);
  }

  /** Starts the K holders (once) and settles when all are ready; one that fails to start fails it, for good. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      try {
        await Promise.all(this.holders.map((_, i) => this.spawn(i)));
        this.started = true;
      } catch (e) {
        await this.close();
        this.emit('failed', e as Error);
        throw e;
      }
    })();
    return this.starting;
  }

  ready(): Promise<void> | null {
    return this.started ? null : this.start();
  }

  get open(): number {
    let n = 0;
    for (const h of this.holders) n += h?.connections.size ?? 0;
    return n;
  }

  /** Connections the running holders can take in all (their open-file limits). */
  get capacity(): number {
    let n = 0;
    for (const h of this.holders) if (h?.ready) n += h.capacity;
    return n;
  }

  pids(): number[] {
    return this.holders.flatMap((h) => (h?.child.pid !== undefined ? [h.child.pid] : []));
  }

  refusal(): Refusal | null {
    if (this.pick() !== null) return null;
    if (!this.holders.some((h) => h?.ready)) {
      return { status: 503, code: 'websocket_holders_restarting', message: 'no WebSocket holder process is running: they are being restarted', hint: 'retry in a moment; the node log says why the holders stopped' };
    }
    return {
      status: 503,
      code: 'websocket_capacity',
      message: `this node holds ${this.open} WebSockets, as many as its ${this.count} holder processes' open-file limits allow`,
      hint: 'start the node with more holders (flick up --ws-holders N) or raise the hard open-file limit (ulimit -Hn)',
    };
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer, info: ConnectionInfo, greeting: Greeting | null): Connection | null {
    const holder = this.pick();
    if (holder === null) return null;
    const conn = new HeldConnection(holder, info);
    holder.connections.set(info.id, conn);
    // Bytes the client sent after its request and this process already read go along with `head`
    // (a client should wait for the 101, but nothing read may be lost).
    const early = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
    const bytes = early ? Buffer.concat([head, early]) : head;
    const adopt: ToHolder = { t: 'adopt', id: info.id, method: req.method ?? 'GET', headers: handshakeHeaders(req), head: bytes, greeting: greeting?.body ?? null, binary: greeting?.binary ?? false };
    // Sending the handle closes this process's descriptor for the socket: that is the point.
    holder.flush();
    holder.child.send(adopt, socket, undefined, (err) => {
      if (err === null) return;
      socket.destroy();
      this.end(holder, info.id, CLOSE.abnormal, EMPTY);
    });
    return conn;
  }

  /** Every holder's connections and memory (after a GC where the holder can collect on demand). */
  stats(): Promise<HolderStats[]> {
    const running = this.holders.filter((h): h is Holder => h?.ready === true);
    return Promise.all(
      running.map(
        (h) =>
          new Promise<HolderStats>((resolve, reject) => {
            const timer = setTimeout(() => reject(new WebSocketHolderError(`WebSocket holder ${h.index} (pid ${h.child.pid}) did not report its stats within ${STATS_TIMEOUT_MS} ms`, 'see the node log for the holder')), STATS_TIMEOUT_MS);
            h.statsWaiters.push((s) => {
              clearTimeout(timer);
              resolve(s);
            });
            h.post({ t: 'stats' });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    const running = this.holders.filter((h): h is Holder => h !== null);
    await Promise.all(running.map((h) => this.stop(h)));
  }

  private async stop(h: Holder): Promise<void> {
    if (h.child.exitCode !== null || h.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => h.child.once('exit', () => resolve()));
    // Their apps hear `close` (1006) now, while the node still runs, as with in-process sockets.
    this.loseAll(h);
    h.post({ t: 'shutdown' });
    const timer = setTimeout(() => h.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** The running holder with the fewest connections and room for one more. */
  private pick(): Holder | null {
    let best: Holder | null = null;
    for (const h of this.holders) {
      if (!h?.ready || !h.child.connected || h.connections.size >= h.capacity) continue;
      if (best === null || h.connections.size < best.connections.size) best = h;
    }
    return best;
  }

  private spawn(index: number): Promise<Holder> {
    const child = fork(holderModule, [MAX_PAYLOAD_ARG, String(this.limits.maxMessageBytes), MAX_QUEUED_ARG, String(this.limits.maxQueuedMessages)], {
      serialization: 'advanced',
      execArgv: holderExecArgv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const holder = new Holder(index, child);
    this.holders[index] = holder;
    child.on('error', () => {}); // a failed spawn or a write to a dying channel: the exit says the rest
    return new Promise<Holder>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new WebSocketHolderError(`WebSocket holder ${index} (pid ${child.pid}) did not start within ${START_TIMEOUT_MS} ms`, 'the machine may be overloaded; or start the node with --ws-holders 0 to hold WebSockets in the node process'));
        child.kill('SIGKILL');
      }, START_TIMEOUT_MS);
      child.on('message', (m: FromHolder) => {
        if (m.t === 'ready') {
          clearTimeout(timer);
          holder.ready = true;
          holder.capacity = holderCapacity(m.fileLimit);
          resolve(holder);
        } else this.receive(holder, m);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!holder.ready) reject(new WebSocketHolderError(`WebSocket holder ${index} exited (${code ?? signal}) before it was ready`, 'its error is in the node log above; start the node with --ws-holders 0 to hold WebSockets in the node process'));
        this.exited(holder, code, signal);
      });
    });
  }

  private receive(holder: Holder, m: FromHolder): void {
    switch (m.t) {
      case 'batch':
        for (const one of m.messages) this.receive(holder, one);
        return;
      case 'message': {
        const conn = holder.connections.get(m.id);
        if (conn) this.sink.received(conn, exactBytes(m.data), m.binary);
        return;
      }
      case 'closed':
        return this.end(holder, m.id, m.code, exactBytes(m.reason));
      case 'failed':
        return this.end(holder, m.id, CLOSE.abnormal, EMPTY);
      case 'sent':
        return holder.connections.get(m.id)?.sent();
      case 'stats':
        return holder.statsWaiters.shift()?.({ pid: holder.child.pid ?? 0, connections: m.connections, heapUsed: m.heapUsed, rss: m.rss });
    }
  }

  /** The connection's socket is gone: its pending send is over and the app hears `close`, last. */
  private end(holder: Holder, id: string, code: number, reason: Uint8Array): void {
    const conn = holder.connections.get(id);
    if (!conn) return;
    holder.connections.delete(id);
    conn.gone = true;
    conn.sent();
    this.sink.ended(conn, code, reason);
  }

  private loseAll(holder: Holder): number {
    const ids = [...holder.connections.keys()];
    for (const id of ids) this.end(holder, id, CLOSE.abnormal, EMPTY);
    return ids.length;
  }

  private exited(holder: Holder, code: number | null, signal: string | null): void {
    const lost = this.loseAll(holder);
    for (const w of holder.statsWaiters.splice(0)) w({ pid: holder.child.pid ?? 0, connections: 0, heapUsed: 0, rss: 0 });
    if (this.holders[holder.index] === holder) this.holders[holder.index] = null;
    if (this.closing || !this.started) return; // at start, start() reports the failure
    const healthy = holder.ready && Date.now() - holder.startedAt >= HEALTHY_UPTIME_MS;
    this.failures[holder.index] = healthy ? 0 : this.failures[holder.index] + 1;
    const delay = this.scheduleRestart(holder.index);
    this.emit('exit', { index: holder.index, pid: holder.child.pid ?? 0, code, signal, connections: lost, restartInMs: delay });
  }

  /** Starts the holder again: at once after a healthy run, later and later while it keeps dying. */
  private scheduleRestart(index: number): number {
    const failures = this.failures[index];
    const delay = failures <= 1 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** failures);
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.closing) return;
      this.spawn(index).then(
        (h) => this.emit('restart', { index, pid: h.child.pid ?? 0 }),
        () => {}, // its exit schedules the next try
      );
    }, delay);
    this.restartTimers.add(timer);
    return delay;
  }
}

const EMPTY = new Uint8Array(0);

/** What ws's handshake reads from the request (everything else stays in the main process, for the app). */
const HANDSHAKE_READS = ['upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions'];

function handshakeHeaders(req: IncomingMessage): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name of HANDSHAKE_READS) if (req.headers[name] !== undefined) out[name] = req.headers[name];
  return out;
}

const fromSources = import.meta.url.endsWith('.ts');
const holderModule = new URL(fromSources ? './holder.ts' : './holder.js', import.meta.url);

/**
 * Node flags for a holder: none of the node's (it runs no instances); a 1 MiB young generation,
 * because a holder's objects are long-lived sockets and V8's default semi-spaces (grown to 16 MiB
 * each by the burst of opens) cost more resident memory than 20,000 idle sockets' worth
 * (docs/decisions.md: 6.9 → 3.7 KiB per connection in a holder); the TypeScript loader when the node
 * runs from sources (tests); --expose-gc when the node has it (benchmarks measure after a collection).
 */
function holderExecArgv(): string[] {
  const args = ['--max-semi-space-size=1'];
  if (fromSources) args.push('--import', import.meta.resolve('tsx'));
  if (process.execArgv.includes('--expose-gc')) args.push('--expose-gc');
  return args;
}

/**
 * The main process's handle on one WebSocket holder process (ws-holder/pool.ts starts and watches
 * them) and on each connection it holds: what the ingress does to a connection becomes messages to
 * its holder, batched per event-loop turn (outbox.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { Connection, type ConnectionInfo } from '../ws-connection.js';
import { UNACKED_REPLY_BYTES, type ToHolder } from './protocol.js';
import { Outbox } from './outbox.js';

/**
 * How long a `taken` waits for a reply to ride along with. A holder that has not heard yet may pause
 * a socket this much too early: harmless, as the count is about bursts of at least maxQueuedMessages.
 */
const TAKEN_DELAY_MS = 2;
const RESOLVED = Promise.resolve();

export interface HolderStats {
  pid: number;
  connections: number;
  heapUsed: number;
  rss: number;
}

/** A connection whose socket a holder process holds: what the ingress does to it becomes IPC messages. */
export class HeldConnection extends Connection {
  gone = false;
  /** Reply bytes sent since the socket last confirmed it took them. */
  private unacked = 0;
  /** Resolves the reply waiting for its acknowledgement: at most one, the ingress awaits each reply before the next event. */
  private onSent: (() => void) | null = null;

  constructor(readonly holder: Holder, info: ConnectionInfo) {
    super(info);
  }

  /** Resolves at once while little is unconfirmed; past UNACKED_REPLY_BYTES, once the socket took this reply. */
  send(body: Uint8Array, binary: boolean): Promise<void> {
    if (this.gone) return RESOLVED;
    this.unacked += body.byteLength;
    const ack = this.unacked > UNACKED_REPLY_BYTES;
    this.holder.post({ t: 'send', id: this.id, body, binary, ack });
    if (!ack) return RESOLVED;
    this.unacked = 0;
    return new Promise((resolve) => (this.onSent = resolve));
  }

  sent(): void {
    const resolve = this.onSent;
    this.onSent = null;
    resolve?.();
  }

  close(code: number, reason: string): void {
    if (!this.gone) this.holder.post({ t: 'close', id: this.id, code, reason });
  }

  /** The holder counts what it relayed and pauses the socket itself: the main process cannot stop a read in time. */
  queued(): void {}

  taken(): void {
    if (!this.gone) this.holder.take(this.id);
  }
}

/** One holder process as the main process sees it. */
export class Holder {
  readonly connections = new Map<string, HeldConnection>();
  ready = false;
  capacity = 0;
  readonly startedAt = Date.now();
  readonly statsWaiters: Array<(s: HolderStats) => void> = [];

  private taken: string[] = [];
  private takenTimer: NodeJS.Timeout | null = null;
  private readonly outbox = new Outbox<ToHolder>(
    (m) => {
      if (this.child.connected) this.child.send(m);
    },
    () => this.takenMessage(),
  );

  constructor(readonly index: number, readonly child: ChildProcess) {}

  post(m: ToHolder): void {
    this.outbox.post(m);
  }

  /** Sends what was posted so far: before a socket's handle, which must not overtake it. */
  flush(): void {
    this.outbox.flush();
  }

  /** One message of connection `id` was taken: told to the holder with the next batch, or soon after. */
  take(id: string): void {
    if (this.taken.push(id) > 1) return;
    this.takenTimer = setTimeout(() => {
      this.takenTimer = null;
      this.outbox.flush();
    }, TAKEN_DELAY_MS);
  }

  private takenMessage(): ToHolder | null {
    if (this.taken.length === 0) return null;
    const ids = this.taken;
    this.taken = [];
    if (this.takenTimer) clearTimeout(this.takenTimer);
    this.takenTimer = null;
    return { t: 'taken', ids };
  }
}

/**
 * The node's handle on one scheduler thread: batches messages per event-loop turn, matches replies
 * to calls, and keeps watch. Metering stops runaway wasm inside its budget; the watchdog is the last
 * line for whatever escapes it (a host call that blocks, a bug): when the oldest call has been
 * outstanding longer than `stallMs`, the thread is terminated (V8 interrupts running wasm) and a
 * fresh one takes its place. Its instances are reported lost so the node can bring them back from
 * their last snapshots.
 */
import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import type { GuestRequest } from '../../runtime/request.js';
import type { MailboxMessage } from '../../runtime/messaging.js';
import { snapshotBuffers, type CallInstance, type FromScheduler, type InstanceSnapshot, type KvWrite, type LoadApp, type LogLine, type Reply, type ToScheduler, type WireError } from './protocol.js';

export interface SchedulerOptions {
  /** Outstanding time after which a call means the thread is stuck. */
  stallMs: number;
  /** Where the worker module is (tests run from source, the CLI from dist). */
  workerUrl?: URL;
}

type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void; sentAt: number };

export class SchedulerLost extends Error {
  readonly hint = 'the scheduler thread was replaced; the node restores its instances from their last snapshots';
  constructor(index: number, why: string) {
    super(`scheduler ${index} was lost: ${why}`);
    this.name = 'SchedulerLost';
  }
}

const fromSources = import.meta.url.endsWith('.ts');
/** How long a closing scheduler waits for its thread to free its sandboxes. */
const SHUTDOWN_WAIT_MS = 2000;
const defaultWorkerUrl = new URL(`./worker${fromSources ? '.ts' : '.js'}`, import.meta.url);

/**
 * Running from the TypeScript sources (tests, `tsx`), a worker must register the loader itself:
 * Node 20 does not pass `--import` hooks on to worker threads. The compiled CLI never takes this path.
 */
function startWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

export interface SchedulerEvents {
  log: [LogLine];
  /** The thread died or was stuck and has been replaced by a fresh one (with no instances). */
  replaced: [reason: string];
}

export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly index: number;
  private worker!: Worker;
  private readonly opts: SchedulerOptions;
  private readonly pending = new Map<number, Pending>();
  private outbox: ToScheduler[] = [];
  private outboxTransfer: ArrayBuffer[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private readonly loaded = new Map<string, Omit<LoadApp, 'id'>>();
  private readonly watchdog: NodeJS.Timeout;
  private closing = false;
  /** When the current thread reported its code loaded; null while it boots. */
  private readyAt: number | null = null;
  /** Calls sent and not yet answered: the load figure placement uses. */
  get outstanding(): number {
    return this.pending.size;
  }
  /** Times the thread was replaced. */
  replacements = 0;
  /**
   * In a cluster: makes the KV writes a reply carries durable (src/cluster/kv-replication.ts).
   * Returns null when nothing is to wait for, else settles with null, or with the error that
   * replaces the reply when the writes could not be made durable.
   */
  kvCommit: ((writes: KvWrite[] | undefined) => Promise<WireError | null> | null) | null = null;

  constructor(index: number, opts: SchedulerOptions) {
    super();
    this.index = index;
    this.opts = opts;
    this.start();
    this.watchdog = setInterval(() => this.checkStall(), Math.max(50, Math.min(1000, opts.stallMs / 4)));
    this.watchdog.unref();
  }

  /**
   * Loads a release; kept so that a replacement thread gets every release again. The reply carries
   * the error when the code does not load on this thread (the release is then forgotten here).
   */
  async load(m: Omit<LoadApp, 'id'>): Promise<Reply> {
    this.loaded.set(m.release, m);
    const reply = await this.request((id) => ({ ...m, id }));
    if (reply.error) this.unload(m.release);
    return reply;
  }

  unload(release: string): void {
    this.loaded.delete(release);
    this.send({ t: 'unload', release });
  }

  call(release: string, instance: string | null, request: GuestRequest, restore?: InstanceSnapshot, messaging?: CallInstance['messaging']): Promise<Reply> {
    return this.request((id) => ({ t: 'call', id, release, instance, request, restore, messaging }));
  }

  spawn(release: string, instance: string, messaging?: CallInstance['messaging']): Promise<Reply> {
    return this.request((id) => ({ t: 'spawn', id, release, instance, messaging }));
  }

  deliver(release: string, instance: string, self: string, message: MailboxMessage, restore?: InstanceSnapshot): Promise<Reply> {
    return this.request((id) => ({ t: 'deliver', id, release, instance, self, message, restore }));
  }

  /**
   * With `drop` (a move or a hibernation: the instance's requests are held meanwhile), sent at once
   * rather than with the turn's batch; `shared` for a snapshot that goes straight to another thread.
   */
  snapshot(instance: string, drop: boolean, shared = false): Promise<Reply> {
    return this.request((id) => ({ t: 'snapshot', id, instance, drop, shared }), undefined, drop);
  }

  /** Restores `instance` from `snapshot`, which is moved to the thread: use the one the reply brings back. */
  restore(release: string, instance: string, snapshot: InstanceSnapshot): Promise<Reply> {
    return this.request((id) => ({ t: 'restore', id, release, instance, snapshot }), snapshotBuffers(snapshot), true);
  }

  /** The state `instance` hands to a new release; a hibernated one is woken from `restore` for it. */
  saveState(release: string, instance: string, restore?: InstanceSnapshot): Promise<Reply> {
    return this.request((id) => ({ t: 'save-state', id, release, instance, restore }));
  }

  /** Starts `instance` of `release` from an old release's saved state. */
  upgrade(release: string, instance: string, state: Uint8Array | null, fromVersion: string): Promise<Reply> {
    return this.request((id) => ({ t: 'upgrade', id, release, instance, state, fromVersion }));
  }

  drop(instance: string): void {
    this.send({ t: 'drop', instance });
  }

  ping(): Promise<Reply> {
    return this.request((id) => ({ t: 'ping', id }));
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    // Let the thread free its sandboxes itself first (see Shutdown in protocol.ts); a stuck
    // thread gets a bounded wait, then is terminated anyway.
    const freed = this.request((id) => ({ t: 'shutdown', id })).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([freed, new Promise((r) => (timer = setTimeout(r, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timer);
    this.closing = true;
    this.failAll('the node is shutting down');
    await this.worker.terminate();
  }

  private start(): void {
    const worker = startWorker(this.opts.workerUrl ?? defaultWorkerUrl, { index: this.index });
    worker.on('message', (batch: FromScheduler[]) => {
      for (const m of batch) {
        if (m.t === 'log') this.emit('log', m);
        else if (m.t === 'ready') this.readyAt = performance.now();
        else this.settle(m);
      }
    });
    worker.on('error', (e) => this.replace(`thread error: ${e.message}`));
    worker.on('exit', (code) => {
      if (!this.closing && this.worker === worker) this.replace(`thread exited with code ${code}`);
    });
    this.worker = worker;
    this.readyAt = null;
    for (const m of this.loaded.values()) this.send(m);
  }

  private replace(reason: string): void {
    if (this.closing) return;
    const old = this.worker;
    this.replacements++;
    this.failAll(reason);
    this.start();
    void old.terminate();
    this.emit('replaced', reason);
  }

  private checkStall(): void {
    // A booting thread is slow, not stuck: loading its code can take a while on a busy machine.
    if (this.readyAt === null) return;
    const now = performance.now();
    for (const p of this.pending.values()) {
      if (now - Math.max(p.sentAt, this.readyAt) > this.opts.stallMs) {
        this.replace(`a call has run for over ${this.opts.stallMs} ms (watchdog)`);
        return;
      }
    }
  }

  private failAll(reason: string): void {
    const err = new SchedulerLost(this.index, reason);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.outbox = [];
    this.outboxTransfer = [];
  }

  private request(make: (id: number) => ToScheduler, transfer?: ArrayBuffer[], now = false): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, sentAt: performance.now() });
      this.send(make(id), transfer, now);
    });
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    const durable = this.kvCommit?.(r.kvWrites);
    if (!durable) return p.resolve(r);
    // The reply waits until the KV writes it carries (and any journaled before it) are durable:
    // an answered request's writes must survive this node.
    const last = r.kvWrites?.[r.kvWrites.length - 1]?.seq;
    void durable.then((refused) => {
      if (last !== undefined) this.send({ t: 'kv-settled', upTo: last });
      p.resolve(refused ? { ...r, response: undefined, error: refused } : r);
    });
  }

  /**
   * Queues `m` for the turn's batch; with `now`, posts the batch at once (what is queued before it
   * goes first, so the order holds): for messages that hold an instance's requests until answered,
   * which would otherwise wait for the rest of a busy turn.
   */
  private send(m: ToScheduler, transfer?: ArrayBuffer[], now = false): void {
    this.outbox.push(m);
    if (transfer) this.outboxTransfer.push(...transfer);
    if (now) return this.flush();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.outbox;
    const moved = this.outboxTransfer;
    this.outbox = [];
    this.outboxTransfer = [];
    if (batch.length) this.worker.postMessage(batch, moved);
  }
}

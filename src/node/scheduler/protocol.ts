/**
 * Messages between the node and a scheduler thread. Plain data only (structured clone), sent in
 * batches: everything queued during one event-loop turn goes as one array, which measured 3.4x the
 * throughput of one message per request (docs/decisions.md, "Schedulers are threads").
 */
import type { Manifest } from '../../image/manifest.js';
import type { GuestRequest, GuestResponse } from '../../runtime/request.js';
import type { PreparedWasm } from '../../runtime/wasm/prepare.js';
import type { WasmSnapshot } from '../../runtime/wasm/instance.js';
import type { JsSnapshot } from '../../runtime/js/instance.js';
import type { SandboxErrorCode } from '../../runtime/errors.js';
import type { MailboxMessage, MessagingEffect } from '../../runtime/messaging.js';

/** An instance's state at a quiescent point, as the runtime of its release takes it. */
export type InstanceSnapshot = WasmSnapshot | JsSnapshot;

/** The process's monotonic clock in µs: the same on every thread, so the node can time a move's end on the thread that ends it. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * A wasm snapshot's buffers (a JS snapshot is a string). They travel between threads by transfer:
 * copied, a 1 MiB memory cost its copy on every move, and on the node's thread the copies'
 * off-heap memory set off a full collection every ~300 ms during back-to-back migrations (41
 * against 3 in one bench run), the main part of the migration pause's tail.
 */
export function snapshotBuffers(snapshot: InstanceSnapshot): ArrayBuffer[] {
  if (!('memory' in snapshot)) return [];
  // A move's snapshot holds its bytes in shared memory, which is shared, not transferred; its small
  // runs table is then copied, so the node keeps a whole snapshot: the instance's way back should
  // the thread it moves to be lost before it runs there.
  if (snapshot.memory.data.buffer instanceof SharedArrayBuffer) return [];
  return [snapshot.memory.data.buffer, snapshot.memory.runs.buffer];
}

/**
 * A release's code as a scheduler loads it: a wasm module compiled once by the node, or a JS
 * bundle, compiled by each thread (an isolate and its compiled code belong to one thread).
 */
export type ReleaseCode = { runtime: 'wasm'; prepared: PreparedWasm } | { runtime: 'js'; bundle: Uint8Array };

/** An app release as a scheduler knows it: `release` is the key every instance refers to. */
export interface LoadApp {
  t: 'load';
  /**
   * Present when the node waits for the outcome (a release being added): the thread replies, with
   * the error when the code does not load. A replacement thread's reloads carry none: they loaded before.
   */
  id?: number;
  release: string;
  manifest: Manifest;
  code: ReleaseCode;
  files: Array<[string, Uint8Array]>;
  /** Directory of the node's KV store, opened by each scheduler (LMDB is safe across threads). */
  kvPath: string | null;
  /**
   * In a cluster: KV writes are not applied here but journaled and carried in replies; the node
   * makes them durable in the replicated store before it answers, then applies them (kv-journal.ts).
   */
  kvReplicated?: boolean;
}

/** One KV write of a guest, on its way to the replicated store. `value` null: a delete. */
export interface KvWrite {
  /** Per scheduler thread, increasing: `kv-settled` acknowledges up to one. */
  seq: number;
  app: string;
  ns: string;
  key: Uint8Array;
  value: Uint8Array | null;
}

/** The node has applied (or dropped, when the store refused them) this thread's KV writes up to `upTo`. */
export interface KvSettled {
  t: 'kv-settled';
  upTo: number;
}

export interface UnloadApp {
  t: 'unload';
  release: string;
}

/**
 * Serve one request. `instance` null: a fresh instance for this request only (per-request mode).
 * Otherwise the named instance, spawned on the spot when the scheduler does not hold it, or restored
 * from `restore` when given (a wake from hibernation, the arrival end of a migration).
 */
export interface CallInstance {
  t: 'call';
  id: number;
  release: string;
  instance: string | null;
  request: GuestRequest;
  restore?: InstanceSnapshot;
  /** Present when the app is granted messaging: the instance's address (null per request). */
  messaging?: { self: string | null };
}

/**
 * Hand one mailbox entry to an instance's `flick_message` (spawned or restored first, as for a
 * call). Its reply carries what the handler asked for in `effects`.
 */
export interface DeliverMessage {
  t: 'deliver';
  id: number;
  release: string;
  instance: string;
  self: string;
  message: MailboxMessage;
  restore?: InstanceSnapshot;
}

/** Take a snapshot at a quiescent point; with `drop`, free the instance afterwards (hibernate, migrate). */
export interface SnapshotInstance {
  t: 'snapshot';
  id: number;
  instance: string;
  drop: boolean;
  /** The snapshot moves to another scheduler at once (an in-node move): its bytes go in shared memory (captureMemory). */
  shared?: boolean;
}

/**
 * Restore an instance from `snapshot`, which arrives by transfer: the reply carries it back, for the
 * node to keep. When it fails, the thread refuses the instance's calls, deliveries and spawns (a
 * non-fatal `no_such_instance`) until the node drops it: the node sends them right behind the
 * restore, and none may meet a fresh instance instead of the one that was moving.
 */
export interface RestoreInstance {
  t: 'restore';
  id: number;
  release: string;
  instance: string;
  snapshot: InstanceSnapshot;
}

/**
 * The state an instance hands to a new release (`flick_state_save`). A hibernated instance is
 * woken from `restore` for this call only and freed afterwards: it stays hibernated.
 */
export interface SaveState {
  t: 'save-state';
  id: number;
  release: string;
  instance: string;
  restore?: InstanceSnapshot;
}

/** Start instance `instance` of `release` from an old release's saved state (`flick_upgrade`). */
export interface UpgradeInstance {
  t: 'upgrade';
  id: number;
  release: string;
  instance: string;
  state: Uint8Array | null;
  fromVersion: string;
}

/** Start instance `instance` of `release` now, unless the scheduler holds it (a supervisor starting a replica). */
export interface SpawnInstance {
  t: 'spawn';
  id: number;
  release: string;
  instance: string;
  messaging?: { self: string | null };
}

export interface DropInstance {
  t: 'drop';
  instance: string;
}

export interface Ping {
  t: 'ping';
  id: number;
}

/**
 * Before the thread is terminated: free every instance and app. Native sandboxes (isolated-vm
 * isolates) must be disposed by their own thread; terminating a thread that still holds them
 * aborted the process in isolated-vm's teardown (seen in CI).
 */
export interface Shutdown {
  t: 'shutdown';
  id: number;
}

export type ToScheduler = KvSettled | LoadApp | UnloadApp | CallInstance | DeliverMessage | SpawnInstance | SnapshotInstance | RestoreInstance | SaveState | UpgradeInstance | DropInstance | Ping | Shutdown;

export interface WireError {
  code: SandboxErrorCode | 'no_such_instance' | 'no_such_release' | 'kv_unreplicated';
  message: string;
  hint: string;
  httpStatus: number;
  /** The instance is gone (limit hit, trap): the node forgets it and its supervisor decides. */
  fatal: boolean;
}

export interface InstanceCounters {
  calls: number;
  cpuUsed: number;
  memoryBytes: number;
}

export interface Reply {
  t: 'reply';
  id: number;
  response?: GuestResponse;
  snapshot?: InstanceSnapshot;
  /** A `save-state` answer: the saved bytes, null when the release saves none. */
  state?: Uint8Array | null;
  error?: WireError;
  /** The instance's counters after the operation (calls, snapshots). */
  counters?: InstanceCounters;
  /** What a call or delivery asked of other instances (messaging), in order; also after a fatal error. */
  effects?: MessagingEffect[];
  /** Scheduler-side time of the operation, microseconds (telemetry). */
  busyUs: number;
  /**
   * A snapshot's or restore's timing on the thread (the process's monotonic clock, µs: the same on
   * every thread): when the thread took the message up, and when it was done — for a restore, when
   * the instance ran there. A move's pause and its phases are read from them.
   */
  startedAtUs?: number;
  doneAtUs?: number;
  /** KV writes journaled on this thread since its last reply (kvReplicated releases), in order. */
  kvWrites?: KvWrite[];
}

export interface LogLine {
  t: 'log';
  release: string;
  instance: string | null;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** Sent once the thread has loaded its code: the watchdog does not count time before it. */
export interface Ready {
  t: 'ready';
}

export type FromScheduler = Reply | LogLine | Ready;

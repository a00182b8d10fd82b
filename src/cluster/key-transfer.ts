/**
 * The node's half of moving a per-key instance to another node: the same snapshot path as a move
 * between schedulers (quiesce → snapshot and free → restore elsewhere), with the snapshot carried
 * over HTTP. `detach` takes the instance out (requests to it are held meanwhile), then either
 * `settleMoved` forgets it here (held requests fail with KeyMovedAway, which the key router
 * forwards to the new node) or `settleStayed` keeps it, from the snapshot, as if nothing happened.
 * `adopt` is the arriving end: the instance is registered hibernated, with its snapshot in memory,
 * and restored by the first request that needs it. The instance's process travels with it: its
 * links, monitors and trap flag are taken up on the new node, and the old node's process becomes
 * a proxy of it (instance-processes.ts), so links and monitors survive the move. A copy that may
 * be stale (key-fence.ts) gives way to a newer one: `supersede` when that one is on another
 * node, `adoptOver` when it arrives here.
 */
import { rmSync } from 'node:fs';
import { serialize, deserialize } from 'node:v8';
import type { FlickNode } from '../node/node.js';
import type { InstanceRecord } from '../node/instance-table.js';
import type { InstanceSnapshot } from '../node/scheduler/protocol.js';
import { isProcessState, type ProcessState } from '../node/process-signals.js';
import { HintedError } from '../hinted-error.js';

/** A per-key instance on its way between nodes (v8-serialised as the body of the import call). */
export interface TravellingKey {
  app: string;
  key: string;
  release: string;
  snapshot: InstanceSnapshot;
  requests: number;
  errors: number;
  restarts: number;
  /** Its process, for a move between live nodes (none in a checkpoint: a key restored after its node died starts a new process). */
  process?: ProcessState | null;
  /** Sent by a node that may have lost the right to it (InstanceRecord.unconfirmed): the receiver confirms it before serving it. */
  unconfirmed?: boolean;
}

export class KeyTransferError extends HintedError {
  constructor(
    message: string,
    hint: string,
    readonly httpStatus: number,
    readonly code: string,
  ) {
    super(message, hint);
  }
}

/** The record that serves `key` of `app` now (its route's release, or the canary's), if this node holds one. */
export function servingRecord(node: FlickNode, app: string, key: string): InstanceRecord | undefined {
  const route = node.active.get(app);
  if (!route) return undefined;
  return node.table.find(route.release, key) ?? (route.canary ? node.table.find(route.canary.release, key) : undefined);
}

/** Every per-key instance this node serves now, by app: what a membership change may have to move. */
export function servingKeys(node: FlickNode): InstanceRecord[] {
  const out: InstanceRecord[] = [];
  for (const rec of node.table.all()) {
    const route = node.active.get(rec.app);
    if (!route || (rec.release !== route.release && rec.release !== route.canary?.release)) continue;
    if (node.releases.get(rec.release)?.manifest.instances.mode === 'per-key' && rec.movedTo === undefined) out.push(rec);
  }
  return out;
}

/**
 * Takes the instance out of its scheduler at a quiescent point. From here until a settle call the
 * record is `moving`: the node holds whatever reaches it (the key router holds requests before
 * they reach the node at all).
 */
export async function detach(node: FlickNode, rec: InstanceRecord): Promise<TravellingKey> {
  for (let waited = 0; rec.status === 'moving'; waited++) {
    if (waited > 10_000) throw new KeyTransferError(`instance ${rec.id} has been moving for over 10 s`, 'try again when it is running', 409, 'busy');
    await new Promise((r) => setTimeout(r, 1));
  }
  const was = rec.status;
  rec.status = 'moving';
  try {
    while (rec.inflight > 0) await new Promise((r) => setImmediate(r));
    let snapshot: InstanceSnapshot;
    if (was === 'hibernated') {
      snapshot = rec.snapshot!;
    } else {
      const reply = await node.schedulers[rec.scheduler].snapshot(rec.id, true);
      if (reply.error) throw new KeyTransferError(`instance ${rec.id} could not be snapshotted: ${reply.error.message}`, reply.error.hint, 503, reply.error.code);
      snapshot = reply.snapshot!;
    }
    const process = node.processes.export(rec.app, rec.key);
    return { app: rec.app, key: rec.key, release: rec.release, snapshot, requests: rec.requests, errors: rec.errors, restarts: rec.restarts, process, unconfirmed: rec.unconfirmed === true };
  } catch (e) {
    rec.status = was;
    releaseHeld(rec);
    throw e;
  }
}

/** The instance now lives on `to`: it leaves this node's table; whatever waited on it goes there. */
export function settleMoved(node: FlickNode, rec: InstanceRecord, to: string): void {
  node.counters.migrations++;
  leave(node, rec, to, 'migrate');
}

/**
 * `holder` has a newer copy of the key (it took the key over while this copy could not vouch for
 * itself): this copy, which served nothing since, is freed and forgotten; whatever waited on it
 * goes to the holder.
 */
export async function supersede(node: FlickNode, rec: InstanceRecord, holder: string): Promise<void> {
  await detach(node, rec);
  leave(node, rec, holder, 'stop');
}

function leave(node: FlickNode, rec: InstanceRecord, to: string, event: 'migrate' | 'stop'): void {
  forget(node, rec);
  rec.movedTo = to;
  node.processes.movedAway(rec.app, rec.key, to);
  node.emit('instance', event, rec);
  releaseHeld(rec);
}

/** The move failed: the instance stays here and comes back from its snapshot on next use. */
export function settleStayed(rec: InstanceRecord, travelling: TravellingKey): void {
  rec.snapshot = travelling.snapshot;
  rec.status = 'hibernated';
  releaseHeld(rec);
}

/**
 * Registers `t` in place of `stale`, an unconfirmed copy of the same key here: `t` comes from a
 * node that held the key while this one was cut off. Whatever waited on the stale copy is routed
 * again, to the new one.
 */
export async function adoptOver(node: FlickNode, t: TravellingKey, stale: InstanceRecord): Promise<InstanceRecord> {
  await detach(node, stale);
  forget(node, stale);
  stale.retired = true;
  try {
    return adopt(node, t);
  } finally {
    node.emit('instance', 'stop', stale);
    releaseHeld(stale);
  }
}

/** Out of this node's table, and its snapshot off the disk. */
function forget(node: FlickNode, rec: InstanceRecord): void {
  node.table.remove(rec.id);
  rmSync(node.snapshotFile(rec), { force: true });
}

/** Registers an instance that arrived from another node; it runs again on the first request or message. */
export function adopt(node: FlickNode, t: TravellingKey): InstanceRecord {
  if (!node.releases.has(t.release)) {
    throw new KeyTransferError(`release ${t.release} is not loaded on this node yet`, 'the route sync loads it within a moment; the sender keeps the instance and may retry', 409, 'release_not_loaded');
  }
  const existing = node.table.find(t.release, t.key);
  if (existing) {
    throw new KeyTransferError(`this node already has an instance of key '${t.key}' of ${t.release} (${existing.id})`, 'the sender keeps its instance; two copies of a key mean two nodes disagreed on its owner', 409, 'key_exists');
  }
  let scheduler = node.schedulers[0];
  for (const s of node.schedulers) if (s.outstanding < scheduler.outstanding) scheduler = s;
  const rec = node.table.create(t.app, t.release, t.key, scheduler.index, performance.now());
  rec.status = 'hibernated';
  rec.snapshot = t.snapshot;
  rec.requests = t.requests;
  rec.errors = t.errors;
  rec.restarts = t.restarts;
  rec.unconfirmed = t.unconfirmed === true;
  if (t.process) node.processes.adopt(t.app, t.key, t.process);
  node.emit('instance', 'spawn', rec);
  return rec;
}

export function encodeTravelling(t: TravellingKey): Buffer {
  return serialize(t);
}

export function decodeTravelling(bytes: Uint8Array): TravellingKey {
  const t = deserialize(bytes) as Partial<TravellingKey>;
  if (typeof t?.app !== 'string' || typeof t.key !== 'string' || typeof t.release !== 'string' || typeof t.snapshot !== 'object' || t.snapshot === null || (t.process != null && !isProcessState(t.process))) {
    throw new KeyTransferError('the body is not a serialised instance', 'only flick nodes call this endpoint', 400, 'bad_request');
  }
  return t as TravellingKey;
}

function releaseHeld(rec: InstanceRecord): void {
  const held = rec.held;
  rec.held = [];
  for (const go of held) go();
}

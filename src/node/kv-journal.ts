/**
 * KV writes in a cluster, on the scheduler thread's side. A guest's put or delete is not applied to
 * the local LMDB here: it is journaled (sent to the node with the next reply) and kept in an
 * overlay that this thread's reads see first, so a guest reads its own writes at once. The node
 * commits the journal to the replicated store before it answers the request, applies it to LMDB
 * in the store's revision order (with everyone else's), then settles it here, dropping the overlay
 * entries. So LMDB only ever holds committed data, in one order on every node, and an answered
 * request's writes survive the loss of this node.
 */
import type { KvNamespace } from '../runtime/request.js';
import type { KvWrite } from './scheduler/protocol.js';

export class KvJournal {
  private seq = 0;
  private pending: KvWrite[] = [];
  /** Writes not settled yet, by `app \0 ns \0 key`: what this thread's reads must see. */
  private readonly overlay = new Map<string, { seq: number; value: Uint8Array | null }>();

  record(app: string, ns: string, key: Uint8Array, value: Uint8Array | null): void {
    const seq = ++this.seq;
    // Copies: the guest's memory changes after the call, and these travel to another thread.
    const write: KvWrite = { seq, app, ns, key: key.slice(), value: value ? value.slice() : null };
    this.pending.push(write);
    this.overlay.set(overlayKey(app, ns, key), { seq, value: write.value });
  }

  /** The unsettled write of a key: `{ value }` (null when deleted), or undefined when there is none. */
  lookup(app: string, ns: string, key: Uint8Array): { value: Uint8Array | null } | undefined {
    return this.overlay.get(overlayKey(app, ns, key));
  }

  /** Writes journaled since the last take, for the next reply. */
  take(): KvWrite[] | undefined {
    if (this.pending.length === 0) return undefined;
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** The node applied (or dropped) every write up to `upTo`: reads go to LMDB again for those keys. */
  settled(upTo: number): void {
    for (const [k, o] of this.overlay) if (o.seq <= upTo) this.overlay.delete(k);
  }
}

function overlayKey(app: string, ns: string, key: Uint8Array): string {
  return `${app}\0${ns}\0${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
}

/** A namespace whose writes go through the journal; reads see the journal's overlay, then the committed data. */
export class JournaledNamespace implements KvNamespace {
  constructor(
    private readonly committed: KvNamespace,
    private readonly journal: KvJournal,
    private readonly app: string,
    private readonly ns: string,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const own = this.journal.lookup(this.app, this.ns, key);
    if (own) return own.value ?? undefined;
    return this.committed.get(key);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.journal.record(this.app, this.ns, key, value);
  }

  delete(key: Uint8Array): boolean {
    const existed = this.get(key) !== undefined;
    this.journal.record(this.app, this.ns, key, null);
    return existed;
  }
}

/**
 * App KV data in a cluster: etcd holds it, every node keeps a full copy in its LMDB for reads.
 *
 * - **Writes** a guest made during a call arrive with the call's reply (kv-journal.ts). Before the
 *   reply is handed on (and so before the client gets an answer), they are committed to etcd under
 *   `/flick/kv/APP/NS/KEY`: replies that arrive while a commit is in flight are grouped into the
 *   next transaction (group commit). A request whose writes could not be committed is answered
 *   503 `kv_unreplicated`, and its writes never reach any LMDB.
 * - **Applying**: this node's main thread is the only writer of its LMDB in a cluster. A committed
 *   write is applied at commit time, everyone else's as the watch delivers them; each key only ever
 *   moves forward in etcd revision order (`applied`), so every node converges on etcd's data.
 * - **Start**: everything under the prefix is read, then followed from the next revision; read
 *   again when the watch fails, or every 30 s finds it behind.
 *
 * Deletes are written as tombstones (`v: null`), so a node that was away learns of them from a
 * plain read of the prefix; they are never collected yet.
 */
import type { Store } from '../control/store/store.js';
import { PrefixFollower } from '../control/store/prefix-follower.js';
import type { AppKvStore } from '../node/app-kv.js';
import type { KvWrite, WireError } from '../node/scheduler/protocol.js';

export const KV_PREFIX = '/flick/kv/';
/** How often the whole prefix is read again to catch a watch that stopped delivering: rarely, it may be large. */
const AUDIT_MS = 30_000;
/** etcd's default `--max-txn-ops`. */
const MAX_TXN_OPS = 128;

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface KvReplicationLog {
  warn(obj: object, msg: string): void;
}

interface Batch {
  writes: KvWrite[];
  done: Promise<WireError | null>;
}

function storeKey(app: string, ns: string, key: Uint8Array): string {
  return `${KV_PREFIX}${encodeURIComponent(app)}/${encodeURIComponent(ns)}/${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64url')}`;
}

function parseKey(k: string): { app: string; ns: string; key: Uint8Array } | null {
  const parts = k.slice(KV_PREFIX.length).split('/');
  if (parts.length !== 3) return null;
  return { app: decodeURIComponent(parts[0]), ns: decodeURIComponent(parts[1]), key: new Uint8Array(Buffer.from(parts[2], 'base64url')) };
}

export class KvReplication {
  /** Last applied revision of each store key: a write older than it is not applied again. */
  private readonly applied = new Map<string, number>();
  private open: Batch | null = null;
  private last: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private follower: PrefixFollower | null = null;
  readonly counters = { commits: 0, writes: 0, refused: 0, remote: 0 };

  constructor(
    private readonly store: Store,
    private readonly local: AppKvStore,
    private readonly self: string,
    private readonly log: KvReplicationLog,
  ) {}

  /** Reads the whole prefix into LMDB, then follows it (read again should the watch fail or lag: prefix-follower.ts). */
  async start(): Promise<void> {
    this.follower = await PrefixFollower.start(this.store, KV_PREFIX, (ev) => {
      if (ev.type === 'put') this.applyStored(ev.key, ev.value, ev.revision);
    }, { auditMs: AUDIT_MS, onRecover: (why) => this.log.warn({}, why) });
  }

  async close(): Promise<void> {
    await this.follower?.close();
  }

  /**
   * The Scheduler's `kvCommit` hook. Null when there is nothing to wait for: no writes, and none
   * in flight (a reply without writes may follow one whose writes are still committing — a JS
   * call's writes can leave with another call's reply — so it waits for those).
   */
  commit(writes: KvWrite[] | undefined): Promise<WireError | null> | null {
    if (!writes?.length) return this.inFlight > 0 ? this.last.then(() => null) : null;
    if (!this.open) {
      const batch: Batch = { writes: [], done: null! };
      this.open = batch;
      this.inFlight++;
      batch.done = this.last.then(() => {
        if (this.open === batch) this.open = null;
        return this.flush(batch.writes);
      }).finally(() => this.inFlight--);
      this.last = batch.done;
    }
    this.open.writes.push(...writes);
    return this.open.done;
  }

  private async flush(writes: KvWrite[]): Promise<WireError | null> {
    // One transaction writes a key once: the last write of each key in the batch wins.
    const byKey = new Map<string, KvWrite>();
    for (const w of writes) {
      const k = storeKey(w.app, w.ns, w.key);
      byKey.delete(k);
      byKey.set(k, w);
    }
    const entries = [...byKey];
    try {
      for (let i = 0; i < entries.length; i += MAX_TXN_OPS) {
        const chunk = entries.slice(i, i + MAX_TXN_OPS);
        const r = await this.store.transact({
          conditions: [],
          writes: chunk.map(([key, w]) => ({ op: 'put' as const, key, value: enc.encode(JSON.stringify({ n: this.self, v: w.value ? Buffer.from(w.value).toString('base64') : null })) })),
        });
        if (!r.ok) throw new Error('the transaction was refused');
        // Applied before the reply goes on: then the thread's overlay may drop them (kv-settled).
        await Promise.all(chunk.map(([key, w]) => this.applyWrite(key, w.app, w.ns, w.key, w.value, r.revision)));
      }
      this.counters.commits++;
      this.counters.writes += entries.length;
      return null;
    } catch (e) {
      this.counters.refused += entries.length;
      this.log.warn({ err: (e as Error).message, writes: entries.length }, 'KV writes could not be committed to the cluster store; their requests are answered 503');
      return {
        code: 'kv_unreplicated',
        message: `the app's KV writes could not be stored in the cluster (${(e as Error).message})`,
        hint: 'retry: nothing of this request was kept; the cluster store (etcd) may be unreachable',
        httpStatus: 503,
        fatal: false,
      };
    }
  }

  private applyStored(storeKeyText: string, value: Uint8Array, revision: number): void {
    const id = parseKey(storeKeyText);
    if (!id) return;
    let v: { n: string; v: string | null };
    try {
      v = JSON.parse(dec.decode(value)) as { n: string; v: string | null };
    } catch {
      return;
    }
    if (v.n !== this.self) this.counters.remote++;
    void this.applyWrite(storeKeyText, id.app, id.ns, id.key, v.v === null ? null : new Uint8Array(Buffer.from(v.v, 'base64')), revision);
  }

  /** Writes are issued in revision order per key, and LMDB applies them in issue order. */
  private applyWrite(storeKeyText: string, app: string, ns: string, key: Uint8Array, value: Uint8Array | null, revision: number): Promise<unknown> | undefined {
    if ((this.applied.get(storeKeyText) ?? 0) >= revision) return undefined;
    this.applied.set(storeKeyText, revision);
    return this.local.apply(app, ns, key, value);
  }
}

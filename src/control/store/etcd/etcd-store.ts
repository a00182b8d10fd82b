/**
 * The clustered Store: etcd through the `etcd3` client, using etcd's own model directly —
 * revisions are etcd's, compare-and-swap is a txn on mod_revision (0 = absent), a watch starts at
 * an explicit revision, leases are etcd leases.
 *
 * The client is configured not to retry on its own: a retried write whose first attempt did
 * commit would turn a won compare-and-swap into a reported conflict. Callers get `unavailable`
 * and decide. Watches do reconnect by themselves, from the revision after the last one delivered.
 */
import { ConstantBackoff, noop } from 'cockatiel';
import { Etcd3, type ICompare, type IKeyValue, type IRequestOp, type IWatchResponse } from 'etcd3';
import { compactedError, StoreError } from '../errors.js';
import { keyBytes, keyString, prefixEnd } from '../key-range.js';
import { LeaseHandle, type LeaseDriver } from '../lease-handle.js';
import { checkFromRevision, checkKey, checkRevision, checkTtl, checkTxn } from '../request-checks.js';
import type {
  CasResult,
  KeyValue,
  Lease,
  LeaseOptions,
  ListOptions,
  PutOptions,
  Store,
  TxnRequest,
  TxnResult,
  Watch,
  WatchEvent,
  WatchOptions,
} from '../store.js';
import { TransactionalStore } from '../transaction.js';
import { WatchChannel } from '../watch-channel.js';
import { toStoreError } from './etcd-errors.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  /** Bound on every request, so a hung server gives `unavailable` instead of a hang. Default 5 s. */
  requestTimeoutMs?: number;
  /** Delay before a dropped watch stream reconnects. Default 250 ms. */
  watchRetryMs?: number;
}

/** etcd's "every key" range: from the zero byte, with range_end zero meaning "no upper bound". */
const ZERO_KEY = Buffer.from([0]);

export async function openEtcdStore(options: EtcdStoreOptions): Promise<Store> {
  const timeoutMs = options.requestTimeoutMs ?? 5_000;
  const client = new Etcd3({
    hosts: options.endpoints,
    dialTimeout: timeoutMs,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    faultHandling: {
      host: () => noop,
      global: noop,
      watchBackoff: new ConstantBackoff(options.watchRetryMs ?? 250).next(),
    },
  });
  const store = new EtcdStore(client, options.endpoints, timeoutMs);
  try {
    // Fail at open, not at first use, when the endpoints are wrong or etcd is down.
    await store.revision();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

class EtcdStore extends TransactionalStore implements Store {
  private readonly watches = new Set<WatchChannel>();
  private readonly leaseHandles = new Map<string, LeaseHandle>();
  private readonly leaseDriver: LeaseDriver = {
    refresh: (id) => this.refreshLease(id),
    revoke: (id) => this.revokeLease(id),
  };
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly endpoints: readonly string[],
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    checkKey(key);
    const res = await this.call(() => this.client.kv.range({ key: keyBytes(key) }));
    return res.kvs.length > 0 ? toKeyValue(res.kvs[0]) : undefined;
  }

  async transact(request: TxnRequest): Promise<TxnResult> {
    checkTxn(request);
    const compare: ICompare[] = request.conditions.map((c) => ({
      key: keyBytes(c.key),
      target: 'Mod',
      result: 'Equal',
      mod_revision: c.revision,
    }));
    const success: IRequestOp[] = request.writes.map((w) =>
      w.op === 'put'
        ? { request_put: { key: keyBytes(w.key), value: Buffer.from(w.value), ...(w.lease ? { lease: w.lease } : {}) } }
        : { request_delete_range: { key: keyBytes(w.key) } },
    );
    // On failure, read the compared keys in the same txn: the conflict report is consistent.
    const failure: IRequestOp[] = request.conditions.map((c) => ({ request_range: { key: keyBytes(c.key) } }));
    const res = await this.call(() => this.client.kv.txn({ compare, success, failure }));
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    const conflicts = [];
    for (const [i, { key, revision }] of request.conditions.entries()) {
      const found = res.responses[i].response_range.kvs[0];
      const current = found ? toKeyValue(found) : undefined;
      if ((current?.revision ?? 0) !== revision) conflicts.push({ key, current });
    }
    return { ok: false, conflicts };
  }

  async list(prefix: string, options?: ListOptions): Promise<KeyValue[]> {
    const res = await this.call(() => this.client.kv.range({ ...prefixRange(prefix), limit: options?.limit ?? 0 }));
    return res.kvs.map(toKeyValue);
  }

  async watch(prefix: string, options?: WatchOptions): Promise<Watch> {
    checkFromRevision(options?.fromRevision);
    const startRevision = options?.fromRevision ?? (await this.revision()) + 1;
    const range = prefixRange(prefix);
    // watcher() attaches without waiting for the stream (create() would wait, unbounded, while
    // etcd is down); the explicit start revision makes the moment of connection irrelevant.
    const watcher = this.client
      .watch()
      .inRange({ start: range.key, end: range.range_end })
      .startRevision(String(startRevision))
      .watcher();
    const channel = new WatchChannel(async () => {
      this.watches.delete(channel);
      await watcher.cancel().catch(() => undefined);
    });
    this.watches.add(channel);
    // etcd never splits one revision across watch responses, so "last revision delivered" is a
    // clean resume point. The client would resume from the server's header revision instead,
    // which can skip events still in flight; set the resume point before it reconnects.
    let delivered = startRevision - 1;
    watcher.on('data', (res: IWatchResponse) => {
      const events: WatchEvent[] = [];
      for (const e of res.events) {
        const revision = Number(e.kv.mod_revision);
        if (revision <= delivered) continue;
        const key = keyString(e.kv.key);
        events.push(e.type === 'Put' ? { type: 'put', key, value: new Uint8Array(e.kv.value), revision } : { type: 'delete', key, revision });
      }
      if (events.length > 0) delivered = events[events.length - 1].revision;
      channel.push(events);
    });
    watcher.on('disconnected', () => {
      watcher.request.start_revision = String(delivered + 1);
    });
    watcher.on('error', (e: Error) => {
      void this.explainCancelledWatch(prefix, delivered + 1, e).then((error) => channel.fail(error));
    });
    return channel;
  }

  /**
   * etcd cancels a watch whose start revision was compacted with an empty reason (the client
   * drops the compact revision it sent), so ask directly: a read at that revision fails with
   * "compacted" exactly when the watch did.
   */
  private async explainCancelledWatch(prefix: string, revision: number, cause: Error): Promise<StoreError> {
    try {
      await this.call(() => this.client.kv.range({ key: ZERO_KEY, revision, count_only: true }));
    } catch (e) {
      if (e instanceof StoreError && e.code === 'compacted') return compactedError(revision);
    }
    const mapped = toStoreError(cause, this.endpoints);
    return mapped instanceof StoreError
      ? mapped
      : new StoreError('unavailable', `etcd cancelled the watch on ${JSON.stringify(prefix)}: ${cause.message}`, { cause });
  }

  async grantLease(ttlMs: number, options?: LeaseOptions): Promise<Lease> {
    checkTtl(ttlMs);
    const grantedAt = Date.now();
    // etcd TTLs are whole seconds (and at least its minimum TTL); the handle uses what was granted.
    const res = await this.call(() => this.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000) }));
    const handle = new LeaseHandle(res.ID, Number(res.TTL) * 1000, this.leaseDriver, grantedAt, options?.keepAlive ?? false);
    this.leaseHandles.set(handle.id, handle);
    return handle;
  }

  async revision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: ZERO_KEY, count_only: true }));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    checkRevision(revision);
    try {
      await this.call(() => this.client.kv.compact({ revision, physical: true }));
    } catch (e) {
      // Already compacted at or past `revision`: the history is gone either way.
      if (!(e instanceof StoreError && e.code === 'compacted')) throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const handle of this.leaseHandles.values()) handle.detach();
    await Promise.all([...this.watches].map((w) => w.close()));
    this.client.close();
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('closed', `the etcd store for ${this.endpoints.join(', ')} is closed`);
    try {
      return await request();
    } catch (e) {
      throw toStoreError(e, this.endpoints);
    }
  }

  /** One keep-alive round trip on its own stream, bounded by the request timeout. */
  private async refreshLease(id: string): Promise<void> {
    const res = await this.call(async () => {
      const stream = await this.client.leaseClient.leaseKeepAlive({ deadline: Date.now() + this.timeoutMs });
      try {
        return await new Promise<{ TTL: string }>((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.on('end', () => reject(new StoreError('unavailable', 'etcd ended the keep-alive stream without an answer')));
          stream.write({ ID: id });
        });
      } finally {
        stream.cancel();
      }
    });
    if (res.TTL === '0') throw new StoreError('lease_expired', `lease ${id} has expired or was revoked`);
  }

  private async revokeLease(id: string): Promise<void> {
    this.leaseHandles.delete(id);
    try {
      await this.call(() => this.client.leaseClient.leaseRevoke({ ID: id }));
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'lease_expired')) throw e;
    }
  }
}

function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  const start = keyBytes(prefix);
  return { key: start.length > 0 ? start : ZERO_KEY, range_end: prefixEnd(start) ?? ZERO_KEY };
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: keyString(kv.key),
    value: new Uint8Array(kv.value),
    revision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    version: Number(kv.version),
    ...(kv.lease && kv.lease !== '0' ? { lease: kv.lease } : {}),
  };
}

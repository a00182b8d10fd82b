/**
 * The default Store: LMDB in the node's data directory, no server. It reproduces etcd's model on
 * top of LMDB write transactions — one global revision, per-key mod/create revision and version,
 * compare-and-swap checked inside the write transaction, an event log for watches, and leases
 * whose deadlines an in-process timer enforces.
 *
 * One process owns a data directory: watches and lease timers live in this object, so a second
 * store on the same directory would miss the first one's changes. Opening it twice is refused.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { compactedError, isStoreError, StoreError } from '../errors.js';
import { keyBytes, prefixEnd } from '../key-range.js';
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
  TxnWrite,
  Watch,
  WatchEvent,
  WatchOptions,
} from '../store.js';
import { TransactionalStore } from '../transaction.js';
import { WatchChannel } from '../watch-channel.js';
import { openDatabase, readMeta, type EmbeddedDatabase, type KeyRecord, type LoggedChange } from './database.js';
import { ExpiryTimer } from './expiry-timer.js';

export interface EmbeddedStoreOptions {
  /** Directory for the LMDB files; created when missing. */
  dataDir: string;
  /** Revisions of history kept for watches; older history is discarded as writes go by. */
  historyRevisions?: number;
}

const DEFAULT_HISTORY_REVISIONS = 10_000;

/** Data directories open in this process (resolved paths). */
const openDirectories = new Set<string>();

export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  const dir = resolve(options.dataDir);
  if (openDirectories.has(dir)) {
    throw new StoreError('invalid_request', `the store in ${dir} is already open in this process`, {
      hint: 'share one Store per data directory instead of opening it again',
    });
  }
  let db: EmbeddedDatabase;
  try {
    mkdirSync(dir, { recursive: true });
    db = openDatabase(dir);
  } catch (e) {
    throw new StoreError('unavailable', `cannot open the store in ${dir}: ${(e as Error).message}`, {
      hint: 'check that the data directory exists, is writable and is not on a full disk',
      cause: e,
    });
  }
  openDirectories.add(dir);
  return new EmbeddedStore(db, dir, options.historyRevisions ?? DEFAULT_HISTORY_REVISIONS);
}

interface Subscriber {
  prefix: string;
  /** First revision not yet pushed to the channel. */
  nextRevision: number;
  channel: WatchChannel;
}

class EmbeddedStore extends TransactionalStore implements Store {
  private readonly subscribers = new Set<Subscriber>();
  private readonly leaseHandles = new Map<string, LeaseHandle>();
  private readonly expiry = new ExpiryTimer((ids) => void this.expireDue(ids));
  private readonly leaseDriver: LeaseDriver = {
    refresh: (id) => this.refreshLease(id),
    revoke: (id) => this.revokeLease(id),
  };
  private closed = false;

  constructor(
    private readonly db: EmbeddedDatabase,
    private readonly dir: string,
    private readonly historyRevisions: number,
  ) {
    super();
    // Leases outlive a restart; the ones that ran out while closed expire on the first tick.
    for (const { key, value } of db.leases.getRange({})) this.expiry.set(key, value.expiresAt);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    checkKey(key);
    this.ensureOpen();
    const record = this.db.keys.get(keyBytes(key));
    return record && toKeyValue(key, record);
  }

  async transact(request: TxnRequest): Promise<TxnResult> {
    checkTxn(request);
    return this.commit((): TxnResult | StoreError => {
      const conflicts = [];
      for (const { key, revision } of request.conditions) {
        const record = this.db.keys.get(keyBytes(key));
        if ((record?.revision ?? 0) !== revision) conflicts.push({ key, current: record && toKeyValue(key, record) });
      }
      if (conflicts.length > 0) return { ok: false, conflicts };
      for (const w of request.writes) {
        if (w.op === 'put' && w.lease !== undefined && !this.leaseAlive(w.lease)) return leaseGone(w.lease);
      }
      return { ok: true, revision: this.applyWrites(request.writes) };
    });
  }

  async list(prefix: string, options?: ListOptions): Promise<KeyValue[]> {
    this.ensureOpen();
    const start = keyBytes(prefix);
    const range = this.db.keys.getRange({
      start: start.length > 0 ? start : undefined,
      end: prefixEnd(start),
      limit: options?.limit,
    });
    return range.map(({ key, value }) => toKeyValue(key.toString('utf8'), value)).asArray;
  }

  async watch(prefix: string, options?: WatchOptions): Promise<Watch> {
    checkFromRevision(options?.fromRevision);
    this.ensureOpen();
    const subscriber: Subscriber = {
      prefix,
      nextRevision: options?.fromRevision ?? readMeta(this.db, 'revision') + 1,
      channel: new WatchChannel(async () => {
        this.subscribers.delete(subscriber);
      }),
    };
    this.subscribers.add(subscriber);
    this.deliver(subscriber);
    return subscriber.channel;
  }

  async grantLease(ttlMs: number, options?: LeaseOptions): Promise<Lease> {
    checkTtl(ttlMs);
    const grantedAt = Date.now();
    const expiresAt = grantedAt + ttlMs;
    const id = await this.commit(() => {
      const next = readMeta(this.db, 'lastLeaseId') + 1;
      this.db.meta.putSync('lastLeaseId', next);
      this.db.leases.putSync(String(next), { ttlMs, expiresAt });
      return String(next);
    });
    this.expiry.set(id, expiresAt);
    const handle = new LeaseHandle(id, ttlMs, this.leaseDriver, grantedAt, options?.keepAlive ?? false);
    this.leaseHandles.set(id, handle);
    return handle;
  }

  async revision(): Promise<number> {
    this.ensureOpen();
    return readMeta(this.db, 'revision');
  }

  async compact(revision: number): Promise<void> {
    checkRevision(revision);
    await this.commit(() => {
      const current = readMeta(this.db, 'revision');
      if (revision > current) {
        return new StoreError('invalid_request', `cannot compact at revision ${revision}: the store is at ${current}`);
      }
      if (revision > readMeta(this.db, 'compactRevision')) this.discardHistoryBefore(revision);
      return undefined;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.expiry.stop();
    for (const handle of this.leaseHandles.values()) handle.detach();
    await Promise.all([...this.subscribers].map((s) => s.channel.close()));
    await this.db.root.committed;
    await this.db.root.close();
    openDirectories.delete(this.dir);
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreError('closed', `the store in ${this.dir} is closed`);
  }

  /**
   * Runs `body` inside one LMDB write transaction and resolves once it is committed and flushed.
   * `body` decides before it writes anything: returning a StoreError (instead of throwing) leaves
   * the transaction without changes, and the error is thrown here.
   */
  private async commit<T>(body: () => T | StoreError): Promise<T> {
    this.ensureOpen();
    const outcome = await this.db.root.transaction(body);
    if (outcome instanceof StoreError) throw outcome;
    for (const subscriber of this.subscribers) this.deliver(subscriber);
    return outcome;
  }

  /** Inside a write transaction: applies the writes at the next revision, if anything changes. */
  private applyWrites(writes: readonly TxnWrite[]): number {
    const current = readMeta(this.db, 'revision');
    const revision = current + 1;
    const changes: LoggedChange[] = [];
    for (const w of writes) {
      const bytes = keyBytes(w.key);
      const previous = this.db.keys.get(bytes);
      const lease = w.op === 'put' ? w.lease : undefined;
      if (previous?.lease !== undefined && previous.lease !== lease) this.db.leaseKeys.removeSync(previous.lease, w.key);
      if (w.op === 'put') {
        this.db.keys.putSync(bytes, {
          value: w.value,
          revision,
          createRevision: previous?.createRevision ?? revision,
          version: (previous?.version ?? 0) + 1,
          ...(lease !== undefined ? { lease } : {}),
        });
        if (lease !== undefined && lease !== previous?.lease) this.db.leaseKeys.putSync(lease, w.key);
        changes.push({ type: 'put', key: w.key, value: w.value });
      } else if (previous) {
        this.db.keys.removeSync(bytes);
        changes.push({ type: 'delete', key: w.key });
      }
    }
    // Like etcd: a transaction that changes nothing (deleting absent keys) does not bump the revision.
    if (changes.length === 0) return current;
    this.db.log.putSync(revision, changes);
    this.db.meta.putSync('revision', revision);
    const keepFrom = revision - this.historyRevisions + 1;
    // Discard in steps of a tenth of the history, so the cost is spread over many writes.
    if (keepFrom - readMeta(this.db, 'compactRevision') >= Math.ceil(this.historyRevisions / 10)) {
      this.discardHistoryBefore(keepFrom);
    }
    return revision;
  }

  private discardHistoryBefore(revision: number): void {
    const from = readMeta(this.db, 'compactRevision');
    for (const logged of [...this.db.log.getKeys({ start: from, end: revision })]) this.db.log.removeSync(logged);
    this.db.meta.putSync('compactRevision', revision);
  }

  /** Pushes the logged changes a subscriber has not seen yet (called after every commit). */
  private deliver(subscriber: Subscriber): void {
    const compactRevision = readMeta(this.db, 'compactRevision');
    if (subscriber.nextRevision < compactRevision) {
      subscriber.channel.fail(compactedError(subscriber.nextRevision, compactRevision));
      return;
    }
    const current = readMeta(this.db, 'revision');
    if (subscriber.nextRevision > current) return;
    const events: WatchEvent[] = [];
    for (const { key: revision, value: changes } of this.db.log.getRange({ start: subscriber.nextRevision, end: current + 1 })) {
      for (const change of changes) {
        if (!change.key.startsWith(subscriber.prefix)) continue;
        events.push(
          change.type === 'put'
            ? { type: 'put', key: change.key, value: new Uint8Array(change.value ?? []), revision }
            : { type: 'delete', key: change.key, revision },
        );
      }
    }
    subscriber.nextRevision = current + 1;
    subscriber.channel.push(events);
  }

  private leaseAlive(id: string): boolean {
    const lease = this.db.leases.get(id);
    return lease !== undefined && lease.expiresAt > Date.now();
  }

  private async refreshLease(id: string): Promise<void> {
    const expiresAt = await this.commit(() => {
      const lease = this.db.leases.get(id);
      if (!lease || lease.expiresAt <= Date.now()) return leaseGone(id);
      const renewed = { ttlMs: lease.ttlMs, expiresAt: Date.now() + lease.ttlMs };
      this.db.leases.putSync(id, renewed);
      return renewed.expiresAt;
    });
    this.expiry.set(id, expiresAt);
  }

  private async revokeLease(id: string): Promise<void> {
    await this.commit(() => this.dropLease(id));
    this.expiry.remove(id);
    this.leaseHandles.delete(id);
  }

  /** Inside a write transaction: deletes the lease and its keys, at one revision. */
  private dropLease(id: string): void {
    const keys = [...this.db.leaseKeys.getValues(id)];
    this.applyWrites(keys.map((key) => ({ op: 'delete', key })));
    this.db.leaseKeys.removeSync(id);
    this.db.leases.removeSync(id);
  }

  private async expireDue(ids: string[]): Promise<void> {
    for (const id of ids) {
      let outcome: 'expired' | number;
      try {
        // Re-checked inside the transaction: a refresh may have landed since the timer fired.
        outcome = await this.commit(() => {
          const lease = this.db.leases.get(id);
          if (lease && lease.expiresAt > Date.now()) return lease.expiresAt;
          if (lease) this.dropLease(id);
          return 'expired' as const;
        });
      } catch (e) {
        if (isStoreError(e, 'closed')) return;
        throw e;
      }
      if (outcome === 'expired') {
        this.leaseHandles.get(id)?.expire();
        this.leaseHandles.delete(id);
      } else {
        this.expiry.set(id, outcome);
      }
    }
  }
}

function toKeyValue(key: string, record: KeyRecord): KeyValue {
  return {
    key,
    value: new Uint8Array(record.value),
    revision: record.revision,
    createRevision: record.createRevision,
    version: record.version,
    ...(record.lease !== undefined ? { lease: record.lease } : {}),
  };
}

function leaseGone(id: string): StoreError {
  return new StoreError('lease_expired', `lease ${id} has expired or was revoked`);
}

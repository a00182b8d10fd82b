/**
 * The control plane's memory: a revisioned key-value store with compare-and-swap, multi-key
 * transactions, watches that resume from a revision, and leases. Two backends implement it
 * (embedded LMDB and etcd) and one conformance suite holds them to the same semantics, which are
 * etcd's: every change bumps one global revision; a transaction is one revision; deleting a key
 * that does not exist changes nothing and bumps nothing.
 */

/** A key as stored, with the revisions that let callers compare-and-swap on it. */
export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision of the last change to this key (etcd's mod_revision); what CAS compares. */
  revision: number;
  /** Revision at which the key was created (since it last did not exist). */
  createRevision: number;
  /** Number of puts since creation, starting at 1. */
  version: number;
  /** Id of the lease the key is attached to, if any. */
  lease?: string;
}

export interface PutOptions {
  /** Attach the key to this lease: it is deleted when the lease expires or is revoked. */
  lease?: string;
}

/** Outcome of a conditional single-key write: the new revision, or what is there instead. */
export type CasResult =
  | { ok: true; revision: number }
  | { ok: false; current: KeyValue | undefined };

/** `revision` is the key's expected mod revision; 0 means "the key must not exist". */
export interface RevisionCondition {
  key: string;
  revision: number;
}

export type TxnWrite =
  | { op: 'put'; key: string; value: Uint8Array; lease?: string }
  | { op: 'delete'; key: string };

/** All conditions hold → all writes happen at one new revision; otherwise nothing happens. */
export interface TxnRequest {
  conditions: readonly RevisionCondition[];
  /** Each key at most once (etcd refuses a transaction that writes a key twice). */
  writes: readonly TxnWrite[];
}

export type TxnResult =
  | { ok: true; revision: number }
  | { ok: false; conflicts: Array<{ key: string; current: KeyValue | undefined }> };

export interface ListOptions {
  limit?: number;
}

export type WatchEvent =
  | { type: 'put'; key: string; value: Uint8Array; revision: number }
  | { type: 'delete'; key: string; revision: number };

export interface WatchOptions {
  /**
   * Deliver every change at or after this revision (history first, then live). Without it, the
   * watch starts after the store's revision at the time `watch` resolves. Resuming with
   * `lastSeenRevision + 1` gives no gaps and no duplicates, unless the history was compacted
   * (then iteration throws StoreError `compacted`).
   */
  fromRevision?: number;
}

/**
 * Changes under a prefix, in revision order (events of one transaction share a revision).
 * Iteration ends when `close()` is called or the store is closed.
 */
export interface Watch extends AsyncIterable<WatchEvent> {
  close(): Promise<void>;
}

export interface LeaseOptions {
  /** Refresh the lease every third of its TTL until revoked or lost. Default false. */
  keepAlive?: boolean;
}

export interface Lease {
  readonly id: string;
  /** TTL the store granted; etcd rounds up to whole seconds. */
  readonly ttlMs: number;
  /**
   * Until when (ms since the epoch) the holder may trust the lease: when its last confirmed
   * refresh started plus the TTL — never later than the store's own expiry. 0 once it expired or
   * was revoked. Checking it at the moment of acting does not depend on a timer firing in time.
   */
  readonly trustedUntil: number;
  /** Reset the TTL once. Throws StoreError `lease_expired` when the lease is gone. */
  keepAlive(): Promise<void>;
  /** Delete the lease and its keys now. onExpire listeners are not called. */
  revoke(): Promise<void>;
  /**
   * Called once when the lease expires, or when its holder can no longer confirm it is alive
   * before its TTL ran out (etcd unreachable): from then on the holder must act as if its keys
   * were gone. Returns a function that removes the listener.
   */
  onExpire(listener: () => void): () => void;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  /** Unconditional write; resolves to the new revision once it is durable. */
  put(key: string, value: Uint8Array, options?: PutOptions): Promise<number>;
  /** Write only if the key's revision is `expectedRevision` (0: only if absent). */
  putIf(key: string, value: Uint8Array, expectedRevision: number, options?: PutOptions): Promise<CasResult>;
  /** Delete, optionally only at `expectedRevision`. Deleting an absent key succeeds and changes nothing. */
  delete(key: string, options?: { expectedRevision?: number }): Promise<CasResult>;
  transact(request: TxnRequest): Promise<TxnResult>;
  /** Keys starting with `prefix` (plain string prefix, not path-aware), sorted by key bytes. */
  list(prefix: string, options?: ListOptions): Promise<KeyValue[]>;
  watch(prefix: string, options?: WatchOptions): Promise<Watch>;
  grantLease(ttlMs: number, options?: LeaseOptions): Promise<Lease>;
  /** The store's current revision (0 for an empty embedded store; etcd starts at 1). */
  revision(): Promise<number>;
  /** Discard history before `revision`: watches from earlier revisions fail with `compacted`. */
  compact(revision: number): Promise<void>;
  /**
   * Stop keep-alives, end watches, release the connection or files. Leases are not revoked: they
   * expire on their own unless a holder reconnects in time. Later calls fail with `closed`.
   */
  close(): Promise<void>;
}

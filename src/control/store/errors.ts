/**
 * Typed store errors, the same for every backend so callers never look at etcd or LMDB errors.
 * A lost compare-and-swap is a normal result (`{ ok: false }`), not an error; `conflict` is for
 * helpers that retry a read-modify-write and give up.
 */
export type StoreErrorCode =
  | 'conflict'
  | 'compacted'
  | 'unavailable'
  | 'closed'
  | 'lease_expired'
  | 'invalid_request';

const hints: Record<StoreErrorCode, string> = {
  conflict: 'another writer kept changing the key; retry later or reduce contention on it',
  compacted:
    'the requested history was compacted; re-read the current state with list() and watch from its revision',
  unavailable: 'the store did not answer; check that etcd is running and reachable, then retry',
  closed: 'the store was closed; open a new one',
  lease_expired: 'the lease is gone; grant a new lease and write the keys again',
  invalid_request: 'fix the arguments of the call',
};

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly hint: string;
  constructor(code: StoreErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
    this.hint = options?.hint ?? hints[code];
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}

export function compactedError(requested: number, compactRevision?: number): StoreError {
  const bound = compactRevision === undefined ? '' : ` (history before ${compactRevision} was discarded)`;
  return new StoreError('compacted', `revision ${requested} was compacted${bound}`);
}

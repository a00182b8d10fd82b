/**
 * Argument checks both backends apply before touching storage, so a bad call fails the same way
 * (StoreError `invalid_request`) whichever backend is configured.
 */
import { StoreError } from './errors.js';
import type { TxnRequest } from './store.js';

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StoreError('invalid_request', 'a key must be a non-empty string');
  }
}

export function checkRevision(revision: number, what = 'revision'): void {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new StoreError('invalid_request', `${what} ${revision} is not a non-negative integer`);
  }
}

/** Revision 0 would mean "from now" to etcd, silently; here a start revision is explicit. */
export function checkFromRevision(fromRevision: number | undefined): void {
  if (fromRevision === undefined) return;
  checkRevision(fromRevision, 'fromRevision');
  if (fromRevision === 0) {
    throw new StoreError('invalid_request', 'fromRevision must be at least 1', {
      hint: 'omit fromRevision to watch from now, or pass 1 for the whole retained history',
    });
  }
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StoreError('invalid_request', `lease TTL ${ttlMs} ms is not a positive number`);
  }
}

export function checkTxn(request: TxnRequest): void {
  const seen = new Set<string>();
  for (const w of request.writes) {
    checkKey(w.key);
    if (seen.has(w.key)) {
      throw new StoreError('invalid_request', `transaction writes key ${JSON.stringify(w.key)} twice`, {
        hint: 'combine the writes to one key into a single put or delete',
      });
    }
    seen.add(w.key);
  }
  for (const c of request.conditions) {
    checkKey(c.key);
    checkRevision(c.revision);
  }
}

/**
 * etcd client errors → StoreError, so callers handle one vocabulary for both backends. Anything
 * unrecognised is rethrown as it is: it is a bug in this backend, not a condition to handle.
 */
import { ClientClosedError, EtcdLeaseInvalidError, isRecoverableError } from 'etcd3';
import { StoreError } from '../errors.js';

const TRANSIENT_SERVER_MESSAGES = [
  'etcdserver: request timed out',
  'etcdserver: leader changed',
  'etcdserver: no leader',
  'etcdserver: too many requests',
];

export function toStoreError(e: unknown, endpoints: readonly string[]): unknown {
  if (e instanceof StoreError || !(e instanceof Error)) return e;
  const where = endpoints.join(', ');
  if (e instanceof ClientClosedError) return new StoreError('closed', `the etcd client for ${where} is closed`, { cause: e });
  if (e instanceof EtcdLeaseInvalidError) return new StoreError('lease_expired', 'the lease has expired or was revoked', { cause: e });
  if (e.message.includes('required revision has been compacted')) {
    return new StoreError('compacted', `etcd at ${where}: ${e.message}`, { cause: e });
  }
  if (e.message.includes('required revision is a future revision')) {
    return new StoreError('invalid_request', `etcd at ${where}: ${e.message}`, { cause: e });
  }
  if (isRecoverableError(e) || TRANSIENT_SERVER_MESSAGES.some((m) => e.message.includes(m))) {
    return new StoreError('unavailable', `etcd at ${where} did not answer: ${e.message}`, { cause: e });
  }
  return e;
}

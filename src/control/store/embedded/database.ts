/**
 * The embedded store's on-disk layout: one LMDB environment in the data directory with five
 * named databases. Keys are raw UTF-8 bytes so LMDB's order is the byte order etcd uses.
 */
import { open, type Database, type RootDatabase } from 'lmdb';

export interface KeyRecord {
  value: Uint8Array;
  revision: number;
  createRevision: number;
  version: number;
  lease?: string;
}

/** One change in the event log; all changes of a revision are stored together under it. */
export interface LoggedChange {
  type: 'put' | 'delete';
  key: string;
  value?: Uint8Array;
}

export interface LeaseRecord {
  ttlMs: number;
  /** Wall-clock ms: the lease survives a restart of the store and expires at the same moment. */
  expiresAt: number;
}

type MetaName = 'revision' | 'compactRevision' | 'lastLeaseId';

export interface EmbeddedDatabase {
  root: RootDatabase;
  keys: Database<KeyRecord, Buffer>;
  /** revision → changes, for watches that resume from a past revision. */
  log: Database<LoggedChange[], number>;
  leases: Database<LeaseRecord, string>;
  /** lease id → attached keys (duplicate-sorted), so expiry finds them without a scan. */
  leaseKeys: Database<string, string>;
  meta: Database<number, MetaName>;
}

export function openDatabase(dataDir: string): EmbeddedDatabase {
  // overlappingSync off: a commit resolves only after it is flushed, so an acknowledged write
  // survives a crash (the store is small and write-light; latency matters less than durability).
  const root = open({ path: dataDir, maxDbs: 8, overlappingSync: false });
  return {
    root,
    keys: root.openDB<KeyRecord, Buffer>('keys', { keyEncoding: 'binary' }),
    log: root.openDB<LoggedChange[], number>('log', {}),
    leases: root.openDB<LeaseRecord, string>('leases', {}),
    leaseKeys: root.openDB<string, string>('lease-keys', { dupSort: true, encoding: 'string' }),
    meta: root.openDB<number, MetaName>('meta', {}),
  };
}

export function readMeta(db: EmbeddedDatabase, name: MetaName): number {
  return db.meta.get(name) ?? 0;
}

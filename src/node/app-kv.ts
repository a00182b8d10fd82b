/**
 * App data written through the KV capability: one LMDB environment in the node's data directory,
 * one named database per app, so one app can never address another's keys (the app name is not
 * something the guest controls). LMDB may be opened from every scheduler thread; writes are
 * committed synchronously before the guest's call returns, so an acknowledged write is durable.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import type { KvNamespace } from '../runtime/request.js';

export class AppKvStore {
  private readonly root: RootDatabase;
  private readonly dbs = new Map<string, Database<Buffer, Buffer>>();

  constructor(path: string) {
    this.root = open({ path, compression: false, maxDbs: 4096 });
  }

  /** The namespaces `names` of app `app`, as the runtime's KvNamespace. */
  namespaces(app: string, names: readonly string[]): Map<string, KvNamespace> {
    const db = this.root.openDB<Buffer, Buffer>({ name: `kv:${app}`, keyEncoding: 'binary', encoding: 'binary' });
    return new Map(names.map((ns) => [ns, new LmdbNamespace(db, ns)]));
  }

  /**
   * Applies one committed write of app `app` (in a cluster the node's main thread is the only
   * writer: kv-journal.ts). `value` null deletes. Asynchronous: LMDB batches such writes into one
   * transaction (one fsync), and the replicated store already holds them durably.
   */
  apply(app: string, ns: string, key: Uint8Array, value: Uint8Array | null): Promise<unknown> {
    let db = this.dbs.get(app);
    if (!db) this.dbs.set(app, (db = this.root.openDB<Buffer, Buffer>({ name: `kv:${app}`, keyEncoding: 'binary', encoding: 'binary' })));
    const k = Buffer.concat([Buffer.from(`${ns}\0`), key]);
    return value ? db.put(k, Buffer.from(value)) : db.remove(k);
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

class LmdbNamespace implements KvNamespace {
  private readonly prefix: Buffer;
  constructor(
    private readonly db: Database<Buffer, Buffer>,
    ns: string,
  ) {
    // The namespace name cannot contain NUL (manifest validation), so prefixes never overlap.
    this.prefix = Buffer.from(`${ns}\0`);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const v = this.db.getBinary(this.key(key));
    return v ? new Uint8Array(v) : undefined;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.db.putSync(this.key(key), Buffer.from(value));
  }

  delete(key: Uint8Array): boolean {
    return this.db.removeSync(this.key(key));
  }

  private key(key: Uint8Array): Buffer {
    return Buffer.concat([this.prefix, key]);
  }
}

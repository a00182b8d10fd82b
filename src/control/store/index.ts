/**
 * The store capability: the interface, its errors, JSON records, and one way to open either
 * backend from configuration (embedded by default; etcd for clusters).
 */
import { openEmbeddedStore } from './embedded/embedded-store.js';
import { openEtcdStore } from './etcd/etcd-store.js';
import type { Store } from './store.js';

export type * from './store.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export { decodeJson, encodeJson, getJson, putJson, updateJson, type JsonEntry } from './json.js';
export { openEmbeddedStore, type EmbeddedStoreOptions } from './embedded/embedded-store.js';
export { openEtcdStore, type EtcdStoreOptions } from './etcd/etcd-store.js';

export type StoreConfig =
  | { backend: 'embedded'; dataDir: string; historyRevisions?: number }
  | { backend: 'etcd'; endpoints: string[]; requestTimeoutMs?: number; watchRetryMs?: number };

export function openStore(config: StoreConfig): Promise<Store> {
  switch (config.backend) {
    case 'embedded':
      return openEmbeddedStore(config);
    case 'etcd':
      return openEtcdStore(config);
  }
}

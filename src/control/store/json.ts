/**
 * JSON records on top of the byte-valued Store (routes, releases, deploy history). The type
 * parameter is trusted, not checked: a key prefix should be written only by the code that reads it.
 */
import { StoreError } from './errors.js';
import type { PutOptions, Store } from './store.js';

export interface JsonEntry<T> {
  value: T;
  revision: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

export async function getJson<T>(store: Store, key: string): Promise<JsonEntry<T> | undefined> {
  const kv = await store.get(key);
  return kv && { value: decodeJson<T>(kv.value), revision: kv.revision };
}

export async function putJson(store: Store, key: string, value: unknown, options?: PutOptions): Promise<number> {
  return store.put(key, encodeJson(value), options);
}

/**
 * Read-modify-write with compare-and-swap: `change` gets the current value (undefined when the
 * key is absent) and returns the new one; on a concurrent change it runs again on the newer
 * value. Throws StoreError `conflict` after `attempts` lost races.
 */
export async function updateJson<T>(
  store: Store,
  key: string,
  change: (current: T | undefined) => T,
  options?: { attempts?: number },
): Promise<JsonEntry<T>> {
  const attempts = options?.attempts ?? 10;
  let current = await getJson<T>(store, key);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const value = change(current?.value);
    const result = await store.putIf(key, encodeJson(value), current?.revision ?? 0);
    if (result.ok) return { value, revision: result.revision };
    current = result.current && { value: decodeJson<T>(result.current.value), revision: result.current.revision };
  }
  throw new StoreError('conflict', `gave up updating ${key} after ${attempts} concurrent changes`);
}

/**
 * What a sandbox is asked and what it answers. Plain data (structured-cloneable), so a request can
 * cross a thread boundary to a scheduler without conversion. The runtime knows nothing of sockets:
 * ingress turns HTTP into these and back.
 */
export interface GuestRequest {
  method: string;
  /** Path and query as received, e.g. `/a/b?x=1`. */
  url: string;
  /** Header names lower-case, in arrival order; repeated names allowed. */
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface GuestResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A KV namespace granted to an app by its manifest. Synchronous: backed by LMDB (readable from any thread). */
export interface KvNamespace {
  get(key: Uint8Array): Uint8Array | undefined;
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): boolean;
}

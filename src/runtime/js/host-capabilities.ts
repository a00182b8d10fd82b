/**
 * The host functions an instance's guest can call: logging, randomness, KV, outbound fetch, and the
 * channel its answers come back on. They are isolated-vm Callbacks, so arguments and results cross
 * as copies and the guest only ever holds a guest-side function. Every argument is checked here as
 * untrusted (the prelude that normally calls them can be patched by app code), grants are checked
 * against the manifest on every call, and errors thrown back carry no host stack.
 */
import { webcrypto } from 'node:crypto';
import ivm from 'isolated-vm';
import { SandboxError } from '../errors.js';
import type { KvNamespace, LogLevel } from '../request.js';
import { ownedBytes } from './boundary.js';
import { guestVisibleError } from './failures.js';
import { outboundDenial, type OutboundRequest } from './outbound.js';

/** What an app may use, fixed when the app is loaded. */
export interface CapabilityGrants {
  /** KV namespaces both granted by the manifest and provided by the node, by name. */
  kv: ReadonlyMap<string, KvNamespace>;
  /** `capabilities.outbound`: hosts (`host` or `host:port`) fetch may reach. */
  outbound: readonly string[];
  log(level: LogLevel, message: string): void;
}

/** What the instance does with the capabilities that belong to the call in flight. */
export interface CallHooks {
  /** The guest's answer to call `callId`, as it came (unchecked): status, header text (boundary.ts), body. */
  respond(callId: number, status: unknown, headers: unknown, body: unknown): void;
  /** The guest could not answer call `callId`: its handler threw, or returned something that is not a Response. */
  failed(callId: number, kind: unknown, message: unknown): void;
  /** Runs a granted outbound request; the instance settles it in the guest when it completes. */
  startFetch(fetchId: number, request: OutboundRequest): void;
  /** Notes a refused capability, so a call that fails because of it is reported as capability_denied. */
  refused(error: SandboxError): void;
}

const LOG_LEVELS = new Set<string>(['debug', 'info', 'warn', 'error']);
const MAX_LOG_LINE = 8192;
/** The Web Crypto limit for one getRandomValues call. */
const RANDOM_QUOTA = 65536;

export function hostCallbacks(grants: CapabilityGrants, hooks: CallHooks): Record<string, ivm.Callback> {
  const refuse = (error: SandboxError): never => {
    hooks.refused(error);
    throw guestVisibleError(`${error.message} (${error.hint})`);
  };
  const namespace = (name: unknown, op: string): KvNamespace => {
    const ns = typeof name === 'string' ? grants.kv.get(name) : undefined;
    if (ns) return ns;
    const shown = JSON.stringify(String(name));
    return refuse(new SandboxError('capability_denied', `KV ${op}: namespace ${shown} is not granted to this app`, `add ${shown} to capabilities.kv in flick.json`, 500));
  };
  const bytes = (value: unknown, what: string): Uint8Array => {
    if (value instanceof Uint8Array) return value;
    throw guestVisibleError(`${what} must be bytes`);
  };
  // A failure of the host's own KV store goes to the app's log; its message may name host paths, so the guest gets none of it.
  const kvCall = <T>(op: string, run: () => T): T => {
    try {
      return run();
    } catch (e) {
      grants.log('error', `KV ${op} failed in the store: ${e instanceof Error ? e.message : String(e)}`);
      throw guestVisibleError(`KV ${op} failed in the store (details are in the app's log)`);
    }
  };

  return {
    log: new ivm.Callback((level: unknown, message: unknown) => {
      if (typeof message !== 'string') return;
      grants.log(typeof level === 'string' && LOG_LEVELS.has(level) ? (level as LogLevel) : 'info', message.slice(0, MAX_LOG_LINE));
    }),
    random: new ivm.Callback((length: unknown) => {
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > RANDOM_QUOTA) throw guestVisibleError(`random: length must be an integer from 0 to ${RANDOM_QUOTA}`);
      return webcrypto.getRandomValues(new Uint8Array(length));
    }),
    kvGet: new ivm.Callback((name: unknown, key: unknown) => {
      const ns = namespace(name, 'get');
      const value = kvCall('get', () => ns.get(bytes(key, 'KV key')));
      return value === undefined ? null : ownedBytes(value);
    }),
    kvPut: new ivm.Callback((name: unknown, key: unknown, value: unknown) => {
      const ns = namespace(name, 'put');
      kvCall('put', () => ns.put(bytes(key, 'KV key'), bytes(value, 'KV value')));
    }),
    kvDelete: new ivm.Callback((name: unknown, key: unknown) => {
      const ns = namespace(name, 'delete');
      return kvCall('delete', () => ns.delete(bytes(key, 'KV key')));
    }),
    fetchStart: new ivm.Callback((fetchId: unknown, request: unknown) => {
      if (typeof fetchId !== 'number' || !Number.isInteger(fetchId)) throw guestVisibleError('fetch: bad request id');
      const checked = outboundRequest(request);
      const denial = outboundDenial(checked.url, grants.outbound);
      if (denial) refuse(denial);
      hooks.startFetch(fetchId, checked);
    }),
    respond: new ivm.Callback((callId: unknown, status: unknown, headers: unknown, body: unknown) => {
      if (typeof callId === 'number') hooks.respond(callId, status, headers, body);
    }),
    fail: new ivm.Callback((callId: unknown, kind: unknown, message: unknown) => {
      if (typeof callId === 'number') hooks.failed(callId, kind, message);
    }),
  };
}

function outboundRequest(value: unknown): OutboundRequest {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const headersOk = Array.isArray(r.headers) && r.headers.every((h: unknown) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string');
  if (typeof r.method !== 'string' || typeof r.url !== 'string' || !headersOk || !(r.body instanceof Uint8Array)) {
    throw guestVisibleError('fetch: malformed request');
  }
  return { method: r.method, url: r.url, headers: r.headers as Array<[string, string]>, body: r.body };
}

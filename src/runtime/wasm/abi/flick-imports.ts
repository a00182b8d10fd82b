/**
 * Host side of the flick reactor ABI (docs/abi.md): the functions a guest imports from module
 * "flick". Built once per compiled app; each call finds its instance through `ref.current`, so
 * spawning an instance creates no closures. The per-call path does no JSON and allocates little:
 * strings are encoded straight into guest memory, and memory views are reused until it grows.
 */
import { randomFillSync } from 'node:crypto';
import type { LogLevel } from '../../request.js';
import { currentInstance as instanceOf, type CallState, type ContextRef, type InstanceContext, type StateTransfer } from '../host-context.js';
import {
  addHeader, BodyWriter, headerBlock, headerValue, requestPath, requestQuery, setStatus,
} from './call-state.js';
import { ABI_STATUS, GuestMemory, guestFault, type ImportName } from './guest-memory.js';
import { messagingImports } from './messaging-imports.js';

export { finishResponse, newCallState } from './call-state.js';
export { ABI_STATUS };

/** Most state one instance may hand to its successor: more than this is not a state, it is a database. */
export const MAX_STATE_BYTES = 16 * 1024 * 1024;

/** `log` levels, by the number the guest passes. */
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** Longest log line or abort message kept; the rest is cut so a guest cannot flood the logs. */
const MAX_MESSAGE_BYTES = 4096;

function callOf(fn: ImportName, ctx: InstanceContext): CallState {
  if (ctx.call === null) {
    throw guestFault(fn, 'called outside a request', 'request and response functions work only inside flick_handle (flick_init and start code have no request)');
  }
  return ctx.call;
}

function transferOf<K extends StateTransfer['kind']>(fn: ImportName, ctx: InstanceContext, kind: K): Extract<StateTransfer, { kind: K }> {
  const t = ctx.transfer;
  if (!t || t.kind !== kind) {
    throw guestFault(fn, `called outside ${kind === 'save' ? 'flick_state_save' : 'flick_upgrade'}`, 'the state functions work only while the platform moves an instance to a new release (docs/abi.md, "State upgrade")');
  }
  return t as Extract<StateTransfer, { kind: K }>;
}

export function flickImports(ref: ContextRef): Record<string, Function> {
  const mem = new GuestMemory();
  const body = new BodyWriter();
  const seed = new Uint32Array(2);

  /** A request field handed over as a string, under the "fits or tells the size" convention. */
  const requestString = (fn: ImportName, field: (call: CallState) => string) =>
    (buf: number, cap: number): number => {
      const ctx = instanceOf(ref);
      return mem.writeString(fn, ctx.memory, buf, cap, field(callOf(fn, ctx)));
    };

  /** Resolves a namespace name to a granted namespace, or logs why it is refused. */
  const namespace = (fn: ImportName, ctx: InstanceContext, nsPtr: number, nsLen: number) => {
    const name = mem.readString(fn, ctx.memory, nsPtr, nsLen);
    const ns = ctx.kv.get(name);
    if (!ns) ctx.log('warn', `${fn}: kv namespace ${JSON.stringify(name)} is not granted to this app; add it to capabilities.kv in flick.json`);
    return ns;
  };

  /** Runs a store operation; a store error becomes `refused` (and a log line) rather than a host exception in the guest. */
  const storeOp = (fn: ImportName, ctx: InstanceContext, op: () => number): number => {
    try {
      return op();
    } catch (e) {
      ctx.log('error', `${fn}: the store refused the operation: ${e instanceof Error ? e.message : String(e)}`);
      return ABI_STATUS.refused;
    }
  };

  return {
    ...messagingImports(ref, mem),
    request_method: requestString('flick.request_method', (call) => call.request.method),
    request_url: requestString('flick.request_url', (call) => call.request.url),
    request_path: requestString('flick.request_path', (call) => requestPath(call.request.url)),
    request_query: requestString('flick.request_query', (call) => requestQuery(call.request.url)),
    request_headers: requestString('flick.request_headers', (call) => headerBlock(call.request.headers)),

    request_header(namePtr: number, nameLen: number, buf: number, cap: number): number {
      const fn = 'flick.request_header';
      const ctx = instanceOf(ref);
      const call = callOf(fn, ctx);
      mem.check(fn, ctx.memory, buf, cap);
      const value = headerValue(call.request.headers, mem.readString(fn, ctx.memory, namePtr, nameLen).toLowerCase());
      return value === undefined ? ABI_STATUS.missing : mem.writeString(fn, ctx.memory, buf, cap, value);
    },

    request_body(buf: number, cap: number): number {
      const fn = 'flick.request_body';
      const ctx = instanceOf(ref);
      return mem.writeBytes(fn, ctx.memory, buf, cap, callOf(fn, ctx).request.body);
    },

    response_status(status: number): void {
      setStatus(callOf('flick.response_status', instanceOf(ref)), status);
    },

    response_header(namePtr: number, nameLen: number, valuePtr: number, valueLen: number): void {
      const fn = 'flick.response_header';
      const ctx = instanceOf(ref);
      const call = callOf(fn, ctx);
      addHeader(call, mem.readString(fn, ctx.memory, namePtr, nameLen), mem.readString(fn, ctx.memory, valuePtr, valueLen));
    },

    response_write(ptr: number, len: number): void {
      const fn = 'flick.response_write';
      const ctx = instanceOf(ref);
      body.append(callOf(fn, ctx), mem.read(fn, ctx.memory, ptr, len));
    },

    kv_get(nsPtr: number, nsLen: number, keyPtr: number, keyLen: number, buf: number, cap: number): number {
      const fn = 'flick.kv_get';
      const ctx = instanceOf(ref);
      const key = mem.read(fn, ctx.memory, keyPtr, keyLen).slice();
      mem.check(fn, ctx.memory, buf, cap);
      const ns = namespace(fn, ctx, nsPtr, nsLen);
      if (!ns) return ABI_STATUS.denied;
      return storeOp(fn, ctx, () => {
        const value = ns.get(key);
        return value === undefined ? ABI_STATUS.missing : mem.writeBytes(fn, ctx.memory, buf, cap, value);
      });
    },

    kv_put(nsPtr: number, nsLen: number, keyPtr: number, keyLen: number, valuePtr: number, valueLen: number): number {
      const fn = 'flick.kv_put';
      const ctx = instanceOf(ref);
      const key = mem.read(fn, ctx.memory, keyPtr, keyLen).slice();
      const value = mem.read(fn, ctx.memory, valuePtr, valueLen).slice();
      const ns = namespace(fn, ctx, nsPtr, nsLen);
      if (!ns) return ABI_STATUS.denied;
      return storeOp(fn, ctx, () => {
        ns.put(key, value);
        return 0;
      });
    },

    kv_delete(nsPtr: number, nsLen: number, keyPtr: number, keyLen: number): number {
      const fn = 'flick.kv_delete';
      const ctx = instanceOf(ref);
      const key = mem.read(fn, ctx.memory, keyPtr, keyLen).slice();
      const ns = namespace(fn, ctx, nsPtr, nsLen);
      if (!ns) return ABI_STATUS.denied;
      return storeOp(fn, ctx, () => (ns.delete(key) ? 1 : 0));
    },

    log(level: number, ptr: number, len: number): void {
      const fn = 'flick.log';
      const ctx = instanceOf(ref);
      const name = LOG_LEVELS[level];
      if (name === undefined) {
        throw guestFault(fn, `unknown level ${level}`, 'levels are 0 debug, 1 info, 2 warn, 3 error');
      }
      ctx.log(name, mem.readString(fn, ctx.memory, ptr, len, MAX_MESSAGE_BYTES));
    },

    panic(messagePtr: number, messageLen: number, filePtr: number, fileLen: number, line: number, column: number): never {
      const fn = 'flick.panic';
      const ctx = instanceOf(ref);
      const message = mem.readString(fn, ctx.memory, messagePtr, messageLen, MAX_MESSAGE_BYTES) || 'abort';
      const file = mem.readString(fn, ctx.memory, filePtr, fileLen, MAX_MESSAGE_BYTES);
      const where = file ? ` at ${file}:${line >>> 0}:${column >>> 0}` : '';
      ctx.log('error', `aborted: ${message}${where}`);
      throw guestFault(fn, `the app aborted: ${message}${where}`, 'an assertion failed or the app called abort(); the instance is discarded, see its log for the cause');
    },

    state_write(ptr: number, len: number): void {
      const fn = 'flick.state_write';
      const ctx = instanceOf(ref);
      const t = transferOf(fn, ctx, 'save');
      if (t.size + (len >>> 0) > MAX_STATE_BYTES) {
        throw guestFault(fn, `the saved state exceeds ${MAX_STATE_BYTES} bytes`, 'keep large data in KV and save only what the instance holds in memory');
      }
      t.chunks.push(mem.read(fn, ctx.memory, ptr, len).slice());
      t.size += len >>> 0;
    },

    state_read(buf: number, cap: number): number {
      const fn = 'flick.state_read';
      const ctx = instanceOf(ref);
      const t = transferOf(fn, ctx, 'upgrade');
      mem.check(fn, ctx.memory, buf, cap);
      return t.state === null ? ABI_STATUS.missing : mem.writeBytes(fn, ctx.memory, buf, cap, t.state);
    },

    state_version(buf: number, cap: number): number {
      const fn = 'flick.state_version';
      const ctx = instanceOf(ref);
      return mem.writeString(fn, ctx.memory, buf, cap, transferOf(fn, ctx, 'upgrade').fromVersion);
    },

    random_seed(): number {
      randomFillSync(seed);
      // 53 random bits: an integer a double holds exactly.
      return (seed[0] >>> 11) * 2 ** 32 + seed[1];
    },
  };
}

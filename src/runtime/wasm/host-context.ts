/**
 * The state host imports act on. Import objects are built once per compiled app, not per instance
 * (spawn would otherwise pay for hundreds of closures): every host function reads the instance it
 * serves from a `ContextRef` that the sandbox points at the right instance before each call into
 * wasm. Calls are synchronous on one thread, so one ref per app is enough; a nested call (a host
 * function calling into another instance) saves and restores `current`.
 */
import type { GuestRequest, KvNamespace, LogLevel } from '../request.js';
import type { CallMessaging } from '../messaging.js';
import type { WasiState } from './wasi/state.js';

/** Where an instance's stdout and stderr go (log lines, a CGI response buffer, or the terminal). */
export interface StdioSink {
  write(fd: 1 | 2, bytes: Uint8Array): void;
}

/** One request in flight through the flick ABI: what the guest reads and the answer it builds. */
export interface CallState {
  request: GuestRequest;
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array[];
}

/**
 * A state upgrade in flight (docs/abi.md, "State upgrade"): the old instance's `flick_state_save`
 * writes its state out, or the new release's `flick_upgrade` reads it in. Null outside those calls.
 */
export type StateTransfer =
  | { kind: 'save'; chunks: Uint8Array[]; size: number }
  | { kind: 'upgrade'; state: Uint8Array | null; fromVersion: string };

export interface InstanceContext {
  memory: WebAssembly.Memory;
  wasi: WasiState;
  stdio: StdioSink;
  call: CallState | null;
  /** Absent or null outside a state upgrade. */
  transfer?: StateTransfer | null;
  /**
   * The messaging side of the current call (sends, links, monitors it asks for, the mailbox entry
   * it handles); null when the app is not granted `capabilities.messaging` or nothing is calling.
   */
  messaging: CallMessaging | null;
  /** KV namespaces the manifest grants, by name; absent names are refused with capability_denied. */
  kv: ReadonlyMap<string, KvNamespace>;
  log(level: LogLevel, message: string): void;
  /** `performance.now()` by which the current call must end; blocking host calls stop there. */
  deadlineAt: number;
  /** Host calls the current call may still make (host-call-guard.ts). */
  hostCallsLeft: number;
}

export interface ContextRef {
  current: InstanceContext | null;
}

/** The instance a host call serves; a missing one is a bug in the sandbox, not the guest. */
export function currentInstance(ref: ContextRef): InstanceContext {
  const ctx = ref.current;
  if (ctx === null) {
    throw new Error('flick host function called with no current instance: the sandbox must set ContextRef.current before calling into wasm');
  }
  return ctx;
}

/**
 * The one interface both sandbox kinds (wasm, js) implement. Schedulers and ingress speak only
 * this: they never see a WebAssembly.Instance or an isolate.
 */
import type { GuestRequest, GuestResponse } from './request.js';

export type InstanceState = 'ready' | 'busy' | 'dead';

export interface InstanceStats {
  calls: number;
  /** Metered work spent so far, in fuel units (wasm) or CPU microseconds (js). */
  cpuUsed: number;
  /** Linear memory (wasm) or heap (js) size, bytes. */
  memoryBytes: number;
}

/** A running instance: its own memory, limits and counters. */
export interface SandboxInstance<Snap = unknown> {
  readonly state: InstanceState;
  /** Serves one request. A limit hit rejects with a SandboxError and, when fatal, leaves the instance dead. */
  handle(request: GuestRequest): Promise<GuestResponse>;
  /** The instance's state at this quiescent point (not while a call is running). */
  snapshot(): Snap;
  stats(): InstanceStats;
  /** Frees the instance; it answers nothing afterwards. */
  dispose(): void;
}

/** A loaded app: makes instances of one image. */
export interface SandboxApp<Snap = unknown> {
  spawn(): SandboxInstance<Snap>;
  restore(snapshot: Snap): SandboxInstance<Snap>;
  close(): void;
}

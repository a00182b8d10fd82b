/**
 * The manifest: what an app declares about itself. It lives with the code (`flick.json` in the
 * app directory), is validated at build time and again at load time, and is embedded in the image.
 */
export type Runtime = 'wasm' | 'js';

/** How a wasm app serves requests: the flick reactor ABI, or WAGI (CGI over WASI, a command module). */
export type WasmAbi = 'flick' | 'wagi';

export interface Resources {
  /** Linear memory (wasm) or heap (js) ceiling, MiB. */
  memoryMiB: number;
  /** CPU budget for one call into the instance, milliseconds of metered work. */
  cpuMsPerCall: number;
  /** Wall-clock deadline for one request, milliseconds. */
  deadlineMs: number;
}

export type KeySource =
  | { from: 'header'; name: string }
  | { from: 'cookie'; name: string }
  | { from: 'path'; segment: number };

export type InstanceMode =
  | { mode: 'per-request' }
  | { mode: 'per-key'; key: KeySource }
  | { mode: 'replicas'; count: number };

export interface Capabilities {
  /** KV namespaces the app may open. */
  kv: string[];
  /** Hosts (`host` or `host:port`) the app may fetch from. */
  outbound: string[];
  /** May send to, spawn, link and monitor instances. */
  messaging: boolean;
}

export interface HealthCheck {
  path: string;
  expectStatus: number;
  timeoutMs: number;
}

export interface Hibernation {
  /** Idle time after which an instance is snapshotted and freed; 0 disables hibernation. */
  idleMs: number;
}

export interface Manifest {
  name: string;
  version: string;
  runtime: Runtime;
  /** wasm only. */
  abi?: WasmAbi;
  resources: Resources;
  instances: InstanceMode;
  /** Extra routes besides `NAME.localhost`: `/prefix/*`, `host/prefix/*`. */
  routes: string[];
  capabilities: Capabilities;
  health?: HealthCheck;
  hibernate: Hibernation;
}

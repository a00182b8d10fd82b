/**
 * A wasm app loaded for serving: the image's module rewritten by the node (memory import, exported
 * globals, fuel metering), compiled once, with one import object and one memory pool shared by all
 * of its instances. Spawning is then: take a memory, instantiate, run the start code.
 */
import type { Manifest } from '../../image/manifest.js';
import type { KvNamespace, LogLevel } from '../request.js';
import type { SandboxApp } from '../sandbox.js';
import { SandboxError } from '../errors.js';
import type { ContextRef } from './host-context.js';
import type { CallMessaging } from '../messaging.js';
import type { PreparedWasm } from './prepare.js';
import { MemoryPool, type MemoryPoolOptions } from './memory-pool.js';
import { nonZeroRuns } from './memory-image.js';
import { wasiImports } from './wasi/imports.js';
import { flickImports } from './abi/flick-imports.js';
import { guardHostCalls, HOST_CALLS_PER_CPU_MS } from './host-call-guard.js';

type HostFn = (...args: never[]) => unknown;
import { WasmInstance, type WasmSnapshot } from './instance.js';
import type { FileSource } from './wasi/files.js';

const WASM_PAGE = 65536;
/** Beyond the data segments, the first page of heap a call is about to use. */
const PREFAULT_HEAP_BYTES = 4096;

export type InstanceLog = (level: LogLevel, message: string) => void;

export interface WasmAppOptions {
  /** Read-only file tree the app sees through WASI (from the image). */
  files?: FileSource;
  /** KV namespaces granted by the manifest, by name. */
  kv?: ReadonlyMap<string, KvNamespace>;
  /** Where instance logs and stdout/stderr lines go. */
  log?: (level: LogLevel, message: string) => void;
  /** Tunes the memory pool (tests, benchmarks). */
  pool?: Partial<MemoryPoolOptions>;
}

export class WasmApp implements SandboxApp<WasmSnapshot> {
  readonly manifest: Manifest;
  readonly module: WebAssembly.Module;
  readonly layout: PreparedWasm['layout'];
  readonly pool: MemoryPool;
  readonly ref: ContextRef = { current: null };
  readonly imports: WebAssembly.Imports;
  readonly fuelPerCall: number;
  /** The same, as the BigInt the control function takes (made once, not per call). */
  readonly fuelBudget: bigint;
  readonly hostCallsPerCall: number;
  readonly kv: ReadonlyMap<string, KvNamespace>;
  readonly log: (level: LogLevel, message: string) => void;
  readonly files: FileSource | undefined;
  /** Byte runs that instantiation itself writes (data segments): a restore clears what the snapshot does not cover. */
  readonly initDirty: Uint32Array;
  readonly fingerprint: string;
  readonly startExports: string[];
  /** The module imports WASI functions (instances then need their own WASI state). */
  readonly usesWasi: boolean = false;
  readonly entry: 'flick_handle' | '_start';
  /** Exports `flick_state_save`: its instances can hand their state to a new release. */
  readonly savesState: boolean;
  /** Exports `flick_upgrade`: it can take over the state of an old release's instances. */
  readonly upgradable: boolean;
  /** Exports `flick_message`: its instances handle their mailbox (docs/abi.md, "Messaging"). */
  readonly receivesMessages: boolean;

  constructor(manifest: Manifest, prepared: PreparedWasm, opts: WasmAppOptions = {}) {
    this.manifest = manifest;
    this.fingerprint = prepared.fingerprint;
    this.module = prepared.module;
    this.layout = prepared.layout;
    this.kv = opts.kv ?? new Map();
    this.log = opts.log ?? (() => {});
    this.files = opts.files;
    this.fuelPerCall = prepared.fuelPerCall;
    this.fuelBudget = BigInt(prepared.fuelPerCall);
    this.hostCallsPerCall = Math.ceil(manifest.resources.cpuMsPerCall * HOST_CALLS_PER_CPU_MS);
    this.imports = this.buildImports();
    const exports = new Set(WebAssembly.Module.exports(this.module).map((e) => e.name));
    this.entry = manifest.abi === 'wagi' ? '_start' : 'flick_handle';
    this.savesState = this.entry === 'flick_handle' && exports.has('flick_state_save');
    this.upgradable = this.entry === 'flick_handle' && exports.has('flick_upgrade');
    this.receivesMessages = this.entry === 'flick_handle' && exports.has('flick_message');
    if (!exports.has(this.entry)) {
      throw new SandboxError(
        'trap',
        `the module does not export ${this.entry}, which the ${manifest.abi ?? 'flick'} ABI calls`,
        manifest.abi === 'wagi'
          ? 'a WAGI app is a WASI command module: build it with a main() (clang --target=wasm32-wasi)'
          : 'export a flick_handle function from the app (see docs/abi.md), or set "abi": "wagi" for a command module',
        500,
      );
    }
    // Start code runs on spawn, never on restore: a wasm start section (moved to an export by the
    // rewriting) or a WASI reactor's `_initialize` (AssemblyScript apps), then `flick_init`.
    this.startExports = [this.layout.startExport, '_initialize', 'flick_init'].filter((n): n is string => n !== null && exports.has(n));
    this.initDirty = this.probeInitDirty();
    const lastDirty = this.initDirty.length ? this.initDirty[this.initDirty.length - 2] + this.initDirty[this.initDirty.length - 1] : 0;
    this.pool = new MemoryPool(this.layout.memory, { prefaultBytes: lastDirty + PREFAULT_HEAP_BYTES, ...opts.pool });
    this.pool.fill();
  }

  /** A fresh instance; `log` receives its log lines and stdio (default: the app's). */
  spawn(log?: InstanceLog, messaging?: CallMessaging | null): WasmInstance {
    return WasmInstance.spawn(this, log, messaging);
  }

  restore(snapshot: WasmSnapshot, log?: InstanceLog): WasmInstance {
    return WasmInstance.restore(this, snapshot, log);
  }

  /** A fresh instance that takes over an old release's instance state (`flick_upgrade`). */
  upgrade(state: Uint8Array | null, fromVersion: string, log?: InstanceLog): WasmInstance {
    return WasmInstance.upgrade(this, state, fromVersion, log);
  }

  /** Many instances from one snapshot: instant bursting from a pre-initialised template. */
  fork(snapshot: WasmSnapshot, count: number): WasmInstance[] {
    const out: WasmInstance[] = [];
    for (let i = 0; i < count; i++) out.push(WasmInstance.restore(this, snapshot));
    return out;
  }

  close(): void {
    this.pool.close();
  }

  get memoryLimitBytes(): number {
    return this.layout.memory.maximum * WASM_PAGE;
  }

  private buildImports(): WebAssembly.Imports {
    const wanted = new Set(WebAssembly.Module.imports(this.module).map((i) => i.module));
    (this as { usesWasi: boolean }).usesWasi = wanted.has('wasi_snapshot_preview1');
    const imports: WebAssembly.Imports = {};
    if (wanted.has('wasi_snapshot_preview1')) imports.wasi_snapshot_preview1 = guardHostCalls(wasiImports(this.ref, this.files) as Record<string, HostFn>, this.ref);
    imports.flick = guardHostCalls(flickImports(this.ref) as Record<string, HostFn>, this.ref);
    return imports;
  }

  /**
   * Instantiates with the given memory. The import object is shared and only its `memory` slot
   * changes: instantiation reads imports synchronously, so no per-spawn object is needed.
   */
  instantiate(memory: WebAssembly.Memory): WebAssembly.Instance {
    (this.imports.flick as Record<string, unknown>).memory = memory;
    return new WebAssembly.Instance(this.module, this.imports);
  }

  /** Instantiates once without running start code, to learn which bytes data segments write. */
  private probeInitDirty(): Uint32Array {
    const memory = new WebAssembly.Memory(this.layout.memory);
    this.instantiate(memory);
    return nonZeroRuns(memory.buffer);
  }
}

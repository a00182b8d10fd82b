/**
 * Load-time rewriting of every wasm module the node runs. The node never trusts the image's
 * builder: whatever the module declares, after this it
 *
 * 1. imports its memory as `flick`.`memory` with the manifest's limit as maximum (memory-import.ts),
 * 2. exports one control function (host-access.ts) through which the host reads and writes every
 *    mutable global it defines (snapshots) and its fuel; it no longer exports its memory (the host
 *    made that memory and holds it; every export costs at each instantiation),
 * 3. has no start section: its start function is exported as `__flick_start`, for the host to call
 *    once the instance's context and fuel are set (a start section would run inside instantiation,
 *    unmetered and before any of that exists),
 * 4. when metered, counts fuel in an i64 global (metering.ts), set and read through the control function.
 *
 * Host protocol (host-access-names.ts): instantiate with `flick.memory` = a memory of
 * `memory.initial` pages and at most `memory.maximum`; before each call set the fuel to the budget;
 * after a trap, negative fuel means the budget ran out (see metering.ts for why that is unambiguous).
 */
import binaryen from 'binaryen';
import { ModuleRejectedError } from './errors.js';
import { importMemoryFromHost, type MemoryShape } from './memory-import.js';
import { addFuelGlobal, meterFunctions } from './metering.js';
import { addControlFunction, mutableGlobals } from './host-access.js';

export { ModuleRejectedError, type ModuleRejectedCode } from './errors.js';
export { MEMORY_IMPORT, type MemoryShape } from './memory-import.js';
export { FUEL_PER_CPU_MS, fuelForCpuMs } from './fuel.js';
export { CONTROL_EXPORT, ControlOp, hostAccess, type HostAccess } from './host-access-names.js';

export interface InstrumentOptions {
  /** The manifest's memory limit, in 64 KiB pages. */
  maxMemoryPages: number;
  /** Inject fuel metering (off only to measure its overhead). */
  meter: boolean;
}

export interface InstrumentedModule {
  /** The rewritten module. */
  bytes: Uint8Array;
  /** The memory to hand it as `flick`.`memory`, in pages; `maximum` is already capped by the limit. */
  memory: MemoryShape;
  /** How many mutable globals the module defines: the indexes the control function takes. */
  globalCount: number;
  /** Fuel is counted (the control function's fuel operations work). */
  metered: boolean;
  /** Export name of the former start function, which the host calls right after instantiating. */
  startExport: string | null;
}

/**
 * Names this rewriting scheme. Bump it when a change alters what a snapshot depends on (global
 * export order, memory import) or how fuel is counted: snapshots and budgets made under one
 * version are not valid under another.
 */
export const INSTRUMENT_VERSION = 'instrument-3';

/** Exports the node adds; a module's own exports may not start with this. */
const RESERVED_EXPORT_PREFIX = '__flick_';
const FUEL_GLOBAL = `${RESERVED_EXPORT_PREFIX}fuel`;
const START_EXPORT = `${RESERVED_EXPORT_PREFIX}start`;

/**
 * What binaryen may parse: the proposals Node 20's V8 ships. `WebAssembly.validate` runs first,
 * so this only has to be wide enough, and binaryen emits only what the module uses.
 */
const FEATURES =
  binaryen.Features.MVP |
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SignExt |
  binaryen.Features.Multivalue |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.CallIndirectOverlong |
  binaryen.Features.SIMD128 |
  binaryen.Features.TailCall |
  binaryen.Features.ExceptionHandling |
  binaryen.Features.Atomics;

export function instrument(wasm: Uint8Array, opts: InstrumentOptions): InstrumentedModule {
  checkValid(wasm);
  const { bytes, memory } = importMemoryFromHost(wasm, opts.maxMemoryPages);
  const module = readModule(bytes);
  try {
    checkReservedExports(module);
    const globals = mutableGlobals(module);
    const startExport = exportStartFunction(module);
    let fuel: string | null = null;
    if (opts.meter) {
      fuel = unusedGlobalName(module, FUEL_GLOBAL);
      addFuelGlobal(module, fuel);
      meterFunctions(module, fuel);
    }
    // Added after metering: the host's control calls cost no fuel.
    addControlFunction(module, globals, fuel);
    removeMemoryExports(module);
    // DWARF describes code offsets that the rewriting has moved: stale, and often most of the file.
    module.runPasses(['strip-dwarf']);
    return { bytes: module.emitBinary(), memory, globalCount: globals.length, metered: opts.meter, startExport };
  } finally {
    module.dispose();
  }
}

function checkValid(wasm: Uint8Array): void {
  if (WebAssembly.validate(wasm)) return;
  let reason = 'it does not validate';
  try {
    new WebAssembly.Module(wasm); // only to get the engine's reason
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  throw new ModuleRejectedError('invalid_module', `the app's module is not valid WebAssembly for this node: ${reason}`, 'rebuild the app with a toolchain targeting WebAssembly 2.0 (clang --target=wasm32-wasi, AssemblyScript, Rust wasm32-wasip1)');
}

/** binaryen.js takes the features as `readBinary`'s second argument; its typings know neither that nor the `readBinaryWithFeatures` they declare instead. */
const readBinaryWithFeatures = binaryen.readBinary as (data: Uint8Array, features: binaryen.Features) => binaryen.Module;

function readModule(bytes: Uint8Array): binaryen.Module {
  try {
    return readBinaryWithFeatures(bytes, FEATURES);
  } catch (e) {
    // binaryen.js throws plain objects carrying a message.
    const reason = (e as { message?: unknown } | null)?.message;
    throw new ModuleRejectedError('unsupported_module', `the node cannot rewrite the app's module: ${typeof reason === 'string' ? reason : 'binaryen could not read it'}`, 'build the module for WebAssembly 2.0 without proposals this node does not run', { cause: e });
  }
}

function checkReservedExports(module: binaryen.Module): void {
  for (let i = 0; i < module.getNumExports(); i++) {
    const { name } = binaryen.getExportInfo(module.getExportByIndex(i));
    if (name.startsWith(RESERVED_EXPORT_PREFIX)) {
      throw new ModuleRejectedError('reserved_name', `the module exports "${name}"; names starting with ${RESERVED_EXPORT_PREFIX} are the node's`, 'rename that export');
    }
  }
}

function removeMemoryExports(module: binaryen.Module): void {
  const names: string[] = [];
  for (let i = 0; i < module.getNumExports(); i++) {
    const e = binaryen.getExportInfo(module.getExportByIndex(i));
    if (e.kind === binaryen.ExternalMemory) names.push(e.name);
  }
  for (const n of names) module.removeExport(n);
}

function exportStartFunction(module: binaryen.Module): string | null {
  const start = module.getStart();
  if (!start) return null;
  module.setStart(0);
  module.addFunctionExport(binaryen.getFunctionInfo(start).name, START_EXPORT);
  return START_EXPORT;
}

function unusedGlobalName(module: binaryen.Module, base: string): string {
  let name = base;
  for (let i = 1; module.getGlobal(name); i++) name = `${base}${i}`;
  return name;
}

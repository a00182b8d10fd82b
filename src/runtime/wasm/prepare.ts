/**
 * The node's rewriting of an image's module, compiled: made once per release in the node's main
 * thread (binaryen is loaded there only), then posted to every scheduler: a WebAssembly.Module
 * crosses threads without being compiled again.
 */
import type { Manifest } from '../../image/manifest.js';
import { instrument, fuelForCpuMs, INSTRUMENT_VERSION, type InstrumentedModule } from './instrument/index.js';

const WASM_PAGE = 65536;

export interface PreparedWasm {
  /** Identifies module + rewriting: a snapshot restores only into the app it came from. */
  fingerprint: string;
  module: WebAssembly.Module;
  layout: Omit<InstrumentedModule, 'bytes'>;
  /** Fuel granted to one call (the manifest's cpuMsPerCall, converted). */
  fuelPerCall: number;
}

export function prepareWasm(manifest: Manifest, code: Uint8Array, imageId: string, opts: { unmetered?: boolean } = {}): PreparedWasm {
  const maxMemoryPages = Math.floor((manifest.resources.memoryMiB * 1024 * 1024) / WASM_PAGE);
  const { bytes, ...layout } = instrument(code, { maxMemoryPages, meter: !opts.unmetered });
  return {
    fingerprint: `${imageId}+${INSTRUMENT_VERSION}${opts.unmetered ? '-unmetered' : ''}`,
    module: new WebAssembly.Module(bytes),
    layout,
    fuelPerCall: fuelForCpuMs(manifest.resources.cpuMsPerCall),
  };
}

/**
 * The V8 flags every process that hosts instances runs with, and a check that they are on.
 *
 * `--disable-wasm-trap-handler`: with the trap handler, V8 reserves ~10 GB of address space per
 * wasm memory (bounds checks by guard pages), which caps a process at ~13,000 memories; here a pool
 * of 20,000 could not be allocated at all. Without it V8 emits explicit bounds checks and maps only
 * what a memory uses: 200,000 live instances at ~5.5 KiB RSS each were measured (docs/decisions.md).
 * Each memory is still one kernel mapping, so `vm.max_map_count` must be raised for that many.
 */
import { readFileSync } from 'node:fs';

export const INSTANCE_HOST_FLAGS = ['--disable-wasm-trap-handler'];

/** Mappings the kernel allows a process; null when it cannot be read (non-Linux). */
export function maxMapCount(): number | null {
  try {
    return Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim());
  } catch {
    return null;
  }
}

/** What flick recommends: room for ~500,000 instances plus the runtime's own mappings. */
export const RECOMMENDED_MAX_MAP_COUNT = 1048576;

export function trapHandlerDisabled(): boolean {
  return process.execArgv.includes('--disable-wasm-trap-handler');
}

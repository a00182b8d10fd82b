/**
 * Views on the memory of the instance being served. `memory.buffer` is replaced by every
 * memory.grow (and differs between instances), so it is re-read on each call; the views are rebuilt
 * only when it changed, which keeps the hot calls (fd_write, clock_time_get) free of allocations.
 */

import { Filetype, Layout } from './abi.js';
import type { FileStat } from './files.js';

const TWO_32 = 4294967296;

export class GuestMemory {
  private buffer: ArrayBuffer | null = null;
  view = new DataView(new ArrayBuffer(0));
  bytes = new Uint8Array(0);

  attach(memory: WebAssembly.Memory): void {
    const buffer = memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.view = new DataView(buffer);
    this.bytes = new Uint8Array(buffer);
  }

  /** Whether [ptr, ptr + len) lies in memory (pointers arrive as unsigned numbers). */
  has(ptr: number, len: number): boolean {
    return ptr + len <= this.bytes.length;
  }

  /** A u64 from a non-negative integer number (exact up to 2^53), without a BigInt. */
  setU64(ptr: number, value: number): void {
    const high = Math.floor(value / TWO_32);
    this.view.setUint32(ptr, value - high * TWO_32, true);
    this.view.setUint32(ptr + 4, high, true);
  }

  getU64(ptr: number): number {
    return this.view.getUint32(ptr + 4, true) * TWO_32 + this.view.getUint32(ptr, true);
  }

  /**
   * A timestamp in nanoseconds from milliseconds (a double). Epoch times in nanoseconds exceed 2^53,
   * so whole milliseconds and the sub-millisecond rest are multiplied out separately to stay exact.
   */
  setTimestamp(ptr: number, ms: number): void {
    const whole = Math.floor(ms);
    const rest = Math.min(999_999, Math.round((ms - whole) * 1e6));
    const high = Math.floor(whole / TWO_32);
    const low = (whole - high * TWO_32) * 1e6 + rest; // < 2^53: exact
    const carry = Math.floor(low / TWO_32);
    this.view.setUint32(ptr, low - carry * TWO_32, true);
    this.view.setUint32(ptr + 4, high * 1e6 + carry, true);
  }

  /** A UTF-8 string of the guest, or null when it is out of bounds or holds a NUL byte. */
  getString(ptr: number, len: number): string | null {
    if (!this.has(ptr, len)) return null;
    const bytes = this.bytes.subarray(ptr, ptr + len);
    if (bytes.includes(0)) return null;
    return Buffer.from(bytes.buffer, bytes.byteOffset, len).toString('utf8');
  }

  /** Copies `bytes` to `ptr` and returns the address after them. */
  put(ptr: number, bytes: Uint8Array): number {
    this.bytes.set(bytes, ptr);
    return ptr + bytes.length;
  }

  /** A preview1 `filestat` record; `stat` null for streams, which have no size or times. */
  setFilestat(ptr: number, filetype: number, stat: FileStat | null): void {
    this.bytes.fill(0, ptr, ptr + Layout.FILESTAT_SIZE);
    this.view.setUint8(ptr + 16, filetype);
    this.setU64(ptr + 24, 1);
    if (stat === null) return;
    this.setU64(ptr + 8, stat.ino);
    this.setU64(ptr + 32, stat.size);
    for (const at of [40, 48, 56]) this.setTimestamp(ptr + at, stat.mtimeMs);
  }
}

export function filetypeOf(stat: FileStat): number {
  return stat.kind === 'directory' ? Filetype.DIRECTORY : Filetype.REGULAR_FILE;
}

// Reading values the host hands over (request fields, KV values) with one host call in the common
// case: the host copies into a static scratch area when the value fits, and only a larger value
// costs an allocation and a second call.

/** A host function of the "copy into [buf, buf + cap) if it fits, return the full length" shape, with one byte-string argument. */
export type HostRead = (argPtr: usize, argLen: i32, buf: usize, cap: i32) => i32;

const SCRATCH_CAP: i32 = 256;
const scratch: usize = memory.data(SCRATCH_CAP);

/** Where the last `fetch` left its bytes. */
let fetchedPtr: usize = 0;
/** Holds a value too large for the scratch area (a global, so the GC keeps it until it is taken). */
let spill: ArrayBuffer | null = null;

/**
 * Calls `read` until the value fits and returns its length, or the host's negative status
 * (-1 absent, other negatives per function). Take the bytes with `takeString` / `takeBytes`
 * before the next fetch.
 */
export function fetch(read: HostRead, arg: ArrayBuffer | null): i32 {
  const argPtr: usize = arg === null ? 0 : changetype<usize>(arg);
  const argLen = arg === null ? 0 : arg.byteLength;
  let buf = scratch;
  let cap = SCRATCH_CAP;
  while (true) {
    const n = read(argPtr, argLen, buf, cap);
    if (n <= cap) {
      fetchedPtr = buf;
      return n;
    }
    // The value may change between calls (KV shared with other instances), hence the loop.
    const bigger = new ArrayBuffer(n);
    spill = bigger;
    buf = changetype<usize>(bigger);
    cap = n;
  }
}

export function takeString(len: i32): string {
  const s = String.UTF8.decodeUnsafe(fetchedPtr, len);
  spill = null;
  return s;
}

export function takeBytes(len: i32): Uint8Array {
  let out: Uint8Array;
  const big = spill;
  if (big !== null && fetchedPtr == changetype<usize>(big)) {
    out = Uint8Array.wrap(big, 0, len);
  } else {
    out = new Uint8Array(len);
    memory.copy(out.dataStart, fetchedPtr, len);
  }
  spill = null;
  return out;
}

/** `fetch` + `takeString`, null when the host says the value is absent. */
export function fetchString(read: HostRead, arg: ArrayBuffer | null): string | null {
  const n = fetch(read, arg);
  return n < 0 ? null : takeString(n);
}

/** Bytes of a string for passing to the host (UTF-8). */
export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

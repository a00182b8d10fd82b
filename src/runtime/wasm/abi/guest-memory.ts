/**
 * Bounds-checked access to a guest's linear memory for host imports. Every pointer and length a
 * guest passes is untrusted: a bad one must end the call with a SandboxError, never read or write
 * outside the guest's memory or throw a host RangeError.
 */
import { SandboxError } from '../../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Names the offending import in errors, e.g. `flick.request_body`. */
export type ImportName = string;

/** Statuses returned to the guest (negative; non-negative results are lengths or counts). */
export const ABI_STATUS = Object.freeze({
  /** The header or KV value does not exist. */
  missing: -1,
  /** The KV namespace (or messaging) is not granted to the app by its manifest. */
  denied: -2,
  /** The store refused the operation (e.g. key too large); the reason is in the app log. */
  refused: -3,
});

export function guestFault(fn: ImportName, message: string, hint: string): SandboxError {
  return new SandboxError('trap', `${fn}: ${message}`, hint, 500);
}

const BAD_POINTER_HINT =
  'the app passed a pointer or length outside its memory to the flick ABI: check its buffer handling (docs/abi.md, "Memory conventions")';

/**
 * A view of one memory, refreshed only when its buffer changes (growth detaches the old one).
 * Host imports are built once per app and serve all its instances, so one view is cached at a time.
 */
export class GuestMemory {
  private buffer: ArrayBuffer | null = null;
  private view = new Uint8Array(0);

  bytes(memory: WebAssembly.Memory): Uint8Array {
    const buffer = memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.view = new Uint8Array(buffer);
    }
    return this.view;
  }

  /** Checks an output buffer up front, for results that may not need it (absent values). */
  check(fn: ImportName, memory: WebAssembly.Memory, ptr: number, len: number): void {
    checkedStart(fn, this.bytes(memory), ptr, len);
  }

  /** The guest's bytes [ptr, ptr + len) as a view (valid until the guest runs again). */
  read(fn: ImportName, memory: WebAssembly.Memory, ptr: number, len: number): Uint8Array {
    const view = this.bytes(memory);
    const start = checkedStart(fn, view, ptr, len);
    return view.subarray(start, start + (len >>> 0));
  }

  /**
   * Decodes UTF-8 from [ptr, ptr + len); invalid sequences become U+FFFD. The whole range is
   * checked, but only its first `maxBytes` are decoded (with a mark that the rest was cut).
   */
  readString(fn: ImportName, memory: WebAssembly.Memory, ptr: number, len: number, maxBytes = Infinity): string {
    const bytes = this.read(fn, memory, ptr, len);
    return bytes.length <= maxBytes ? decoder.decode(bytes) : `${decoder.decode(bytes.subarray(0, maxBytes))}… [cut]`;
  }

  /**
   * The "fits or tells the size" convention: copies `value` to [ptr, ptr + cap) when it fits and
   * returns its full length either way. When it does not fit, the buffer's contents are unspecified.
   */
  writeBytes(fn: ImportName, memory: WebAssembly.Memory, ptr: number, cap: number, value: Uint8Array): number {
    const view = this.bytes(memory);
    const start = checkedStart(fn, view, ptr, cap);
    if (value.length <= cap >>> 0) view.set(value, start);
    return value.length;
  }

  /** `writeBytes` for a string, encoded as UTF-8 straight into guest memory. */
  writeString(fn: ImportName, memory: WebAssembly.Memory, ptr: number, cap: number, value: string): number {
    const view = this.bytes(memory);
    const start = checkedStart(fn, view, ptr, cap);
    const { read, written } = encoder.encodeInto(value, view.subarray(start, start + (cap >>> 0)));
    return read === value.length ? written : Buffer.byteLength(value, 'utf8');
  }
}

/** Wasm passes i32s, which arrive signed: read them as the unsigned offsets and lengths they are. */
function checkedStart(fn: ImportName, view: Uint8Array, ptr: number, len: number): number {
  const start = ptr >>> 0;
  const end = start + (len >>> 0);
  if (end > view.length) {
    throw guestFault(fn, `range [${start}, ${end}) is outside the instance's memory of ${view.length} bytes`, BAD_POINTER_HINT);
  }
  return start;
}

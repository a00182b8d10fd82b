/**
 * Sparse images of linear memory: only the 4 KiB chunks that are not all zero are kept, as runs of
 * adjacent chunks, so a 16 MiB memory with 1 MiB in use snapshots to ~1 MiB and restores with a
 * handful of memcpy calls.
 */

/** Granularity of the sparse scan: the OS page size, the unit of RSS. */
export const CHUNK = 4096;
const WASM_PAGE = 65536;
const ZERO_CHUNK = Buffer.alloc(CHUNK);

export interface MemoryImage {
  /** Size of the memory in wasm pages when it was captured. */
  pages: number;
  /** Flat pairs `[byteOffset, byteLength, …]` of non-zero runs, ascending, non-overlapping. */
  runs: Uint32Array;
  /** The bytes of every run, concatenated in order. */
  data: Uint8Array;
}

/** Runs of chunks that hold anything but zeros. */
export function nonZeroRuns(buffer: ArrayBuffer, byteLength = buffer.byteLength): Uint32Array {
  const runs: number[] = [];
  let start = -1;
  for (let off = 0; off < byteLength; off += CHUNK) {
    const len = Math.min(CHUNK, byteLength - off);
    const zero = Buffer.from(buffer, off, len).equals(len === CHUNK ? ZERO_CHUNK : ZERO_CHUNK.subarray(0, len));
    if (!zero && start < 0) start = off;
    if (zero && start >= 0) {
      runs.push(start, off - start);
      start = -1;
    }
  }
  if (start >= 0) runs.push(start, byteLength - start);
  return Uint32Array.from(runs);
}

/**
 * With `shared`, the bytes go in a SharedArrayBuffer: for a snapshot that only passes between
 * threads (an in-node move). V8 counts a plain ArrayBuffer's bytes as the external memory of every
 * thread it passes through, and past 64 MiB of it forces a GC there (4–13 ms on a scheduler thread,
 * which holds every request of its instances); a shared buffer is not counted, so a run of moves
 * does not set those off. Not the default: uncounted bytes do not prompt the GC that frees them
 * once a snapshot is replaced, and moves are occasional where checkpoints and hibernations are not.
 */
export function captureMemory(memory: WebAssembly.Memory, shared = false): MemoryImage {
  const buffer = memory.buffer;
  const runs = nonZeroRuns(buffer);
  let total = 0;
  for (let i = 1; i < runs.length; i += 2) total += runs[i];
  const data = new Uint8Array(shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
  let at = 0;
  for (let i = 0; i < runs.length; i += 2) {
    data.set(new Uint8Array(buffer, runs[i], runs[i + 1]), at);
    at += runs[i + 1];
  }
  return { pages: buffer.byteLength / WASM_PAGE, runs, data };
}

/**
 * Writes an image into a memory that is all zeros except for `dirty` runs (what instantiation wrote:
 * data segments). Dirty bytes the image does not cover are cleared, so the result equals the image.
 */
export function applyMemory(memory: WebAssembly.Memory, image: MemoryImage, dirty: Uint32Array): void {
  const have = memory.buffer.byteLength / WASM_PAGE;
  if (have < image.pages) memory.grow(image.pages - have);
  const target = new Uint8Array(memory.buffer);
  for (let i = 0; i < dirty.length; i += 2) target.fill(0, dirty[i], dirty[i] + dirty[i + 1]);
  const { runs, data } = image;
  let at = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const len = runs[i + 1];
    target.set(data.subarray(at, at + len), runs[i]);
    at += len;
  }
}

/** Checks an image from outside (disk, another node) before it touches a memory. */
export function memoryImageProblem(image: MemoryImage, maxPages: number): string | null {
  if (!Number.isInteger(image.pages) || image.pages < 0 || image.pages > maxPages) return `memory size ${image.pages} pages is outside 0..${maxPages}`;
  if (!(image.runs instanceof Uint32Array) || image.runs.length % 2 !== 0) return 'memory runs are malformed';
  if (!(image.data instanceof Uint8Array)) return 'memory data is malformed';
  const limit = image.pages * WASM_PAGE;
  let end = 0;
  let total = 0;
  for (let i = 0; i < image.runs.length; i += 2) {
    const off = image.runs[i];
    const len = image.runs[i + 1];
    if (off < end || off + len > limit) return `memory run at ${off} (+${len}) overlaps or lies outside the memory`;
    end = off + len;
    total += len;
  }
  if (total !== image.data.byteLength) return `memory data holds ${image.data.byteLength} bytes but the runs need ${total}`;
  return null;
}

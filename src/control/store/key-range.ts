/**
 * Keys are strings to callers and UTF-8 bytes to both backends, so "sorted by key" and "under a
 * prefix" mean byte order everywhere, exactly as etcd defines them.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function keyBytes(key: string): Buffer {
  const bytes = encoder.encode(key);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function keyString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * The first key after every key starting with `prefix` (etcd's range_end for a prefix), or
 * undefined when no such key exists (empty prefix, or only 0xff bytes): the range is unbounded.
 */
export function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i] += 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

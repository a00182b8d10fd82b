/**
 * Mutations of byte strings, shared by the fuzz targets that start from a valid input (an image, a
 * CGI response, an HTTP request) and break it a little: flipped bits, overwritten 32-bit words,
 * cuts, insertions and removals at arbitrary positions.
 */
import fc from 'fast-check';

export type ByteMutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'remove'; at: number; length: number };

const position = fc.nat({ max: 1 << 20 });

/** One mutation; `inserted` draws what an insertion adds (random bytes by default, protocol tokens for text formats). */
export function byteMutation(inserted: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 1, maxLength: 64 })): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('u32' as const), at: position, value: fc.oneof(fc.constantFrom(0, 1, 0x7fff_ffff, 0xffff_ffff, 0xffff), fc.nat({ max: 0xffff_ffff })) }),
    fc.record({ kind: fc.constant('cut' as const), at: position }),
    fc.record({ kind: fc.constant('insert' as const), at: position, bytes: inserted }),
    fc.record({ kind: fc.constant('remove' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  );
}

/** Applies the mutations in order (positions taken modulo the current length); the input is not changed. */
export function mutate(input: Uint8Array, mutations: ByteMutation[]): Uint8Array {
  let bytes = input.slice();
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] ^= m.mask;
        break;
      case 'u32':
        if (bytes.length >= 4) new DataView(bytes.buffer).setUint32(Math.min(at, bytes.length - 4), m.value, true);
        break;
      case 'cut':
        bytes = bytes.slice(0, at);
        break;
      case 'insert':
        bytes = new Uint8Array(Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]));
        break;
      case 'remove':
        bytes = new Uint8Array(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]));
        break;
    }
  }
  return bytes;
}

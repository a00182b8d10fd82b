/**
 * A bounds-checked cursor over untrusted bytes. Every read checks the remaining length first, so a
 * hostile length field can only ever produce a `truncated` ImageError, never a large allocation.
 */
import { ImageError } from './errors.js';

/** Throws on malformed UTF-8 instead of substituting U+FFFD, and keeps a BOM, so text round-trips byte for byte. */
export const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.offset++);
  }

  u16(field: string): number {
    this.need(2, field);
    const value = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  /** A view of the next `length` bytes (no copy). */
  bytesOf(length: number, field: string): Uint8Array {
    this.need(length, field);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  private need(length: number, field: string): void {
    if (length > this.remaining) {
      throw new ImageError(
        'truncated',
        `${this.what} is truncated: ${field} needs ${length} bytes at offset ${this.offset}, only ${this.remaining} left`,
        'the file was cut short or corrupted in transit; copy or rebuild it',
      );
    }
  }
}

/**
 * Just enough of the wasm binary format to rewrite the import and memory sections: binaryen.js
 * can turn a memory into an import but cannot change its limits or tell how many memories there
 * are, so the memory rewrite works on bytes (see memory-import.ts). Inputs have already passed
 * `WebAssembly.validate`; the bounds checks here only guard against this code's own assumptions.
 */
import { ModuleRejectedError } from './errors.js';

export const SECTION = { custom: 0, type: 1, import: 2, memory: 5 } as const;

export const IMPORT_KIND = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

/** Limits flags: bit 0 has a maximum, bit 1 shared, bit 2 64-bit addresses. */
export const LIMITS_HAS_MAX = 1;
export const LIMITS_SHARED = 2;
export const LIMITS_64 = 4;

const HEADER_BYTES = 8;
/** Value types `(ref null ht)` and `(ref ht)` are followed by a heap type. */
const REF_TYPE_PREFIXES = new Set([0x63, 0x64]);

export interface Section {
  id: number;
  /** The whole section, id byte and size included, in the module's bytes. */
  raw: Uint8Array;
  /** The section's contents, after its size. */
  payload: Uint8Array;
}

export interface Limits {
  flags: number;
  initial: number;
  maximum: number | null;
}

export class ByteReader {
  private readonly bytes: Uint8Array;
  pos = 0;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  u8(): number {
    if (this.pos >= this.bytes.length) throw truncated();
    return this.bytes[this.pos++];
  }
  /** An unsigned LEB128 of up to 64 bits (values past 2^53 lose precision; only skipped ones can be that big). */
  leb(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw truncated();
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw truncated();
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  name(): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.leb()));
  }
  limits(): Limits {
    const flags = this.u8();
    const initial = this.leb();
    const maximum = flags & LIMITS_HAS_MAX ? this.leb() : null;
    return { flags, initial, maximum };
  }
  valueType(): void {
    if (REF_TYPE_PREFIXES.has(this.u8())) this.leb();
  }
}

export class ByteWriter {
  private readonly chunks: number[] = [];
  u8(b: number): this {
    this.chunks.push(b);
    return this;
  }
  leb(value: number): this {
    let v = value;
    do {
      const b = v % 128;
      v = Math.floor(v / 128);
      this.chunks.push(v > 0 ? b | 0x80 : b);
    } while (v > 0);
    return this;
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.chunks.push(x);
    return this;
  }
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.leb(b.length).bytes(b);
  }
  toBytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export function splitSections(wasm: Uint8Array): Section[] {
  const r = new ByteReader(wasm);
  r.take(HEADER_BYTES);
  const sections: Section[] = [];
  while (!r.done) {
    const start = r.pos;
    const id = r.u8();
    const payload = r.take(r.leb());
    sections.push({ id, raw: wasm.subarray(start, r.pos), payload });
  }
  return sections;
}

export function encodeSection(id: number, payload: Uint8Array): Uint8Array {
  return new ByteWriter().u8(id).leb(payload.length).bytes(payload).toBytes();
}

export function joinModule(header: Uint8Array, sections: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + sections.reduce((n, s) => n + s.length, 0));
  out.set(header.subarray(0, HEADER_BYTES), 0);
  let at = HEADER_BYTES;
  for (const s of sections) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

function truncated(): ModuleRejectedError {
  return new ModuleRejectedError('invalid_module', 'the module ends in the middle of a section', 'rebuild the module; the file is truncated or corrupt');
}

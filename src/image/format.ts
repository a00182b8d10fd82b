/**
 * The single-file image: magic, format version, then length-prefixed sections (manifest, code,
 * optional file tree) in a fixed order. The layout is specified in docs/image-format.md. Nothing in
 * it depends on the machine or the time of the build, so the same inputs give the same bytes and
 * the same id.
 *
 * decodeImage treats its input as hostile: it only ever throws ImageError or ManifestError, reads
 * nothing past the end, and allocates nothing a length field asks for beyond the input's own size.
 */
import { createHash } from 'node:crypto';
import { ByteReader, strictUtf8 } from './byte-reader.js';
import { canonicalJson } from './canonical-json.js';
import { ImageError, type ImageErrorCode } from './errors.js';
import { decodeFileTree, encodeFileTree, type FileTree } from './file-tree.js';
import { checkAgainstLimits, type NodeLimits } from './limits.js';
import { validateManifest, type Manifest } from './manifest.js';

/** `\x89FLICK\r\n`: a non-ASCII first byte and a CR LF pair, so text-mode transfers that mangle the file are caught. */
export const IMAGE_MAGIC = Uint8Array.of(0x89, 0x46, 0x4c, 0x49, 0x43, 0x4b, 0x0d, 0x0a);
export const IMAGE_FORMAT_VERSION = 1;
/** Manifests are small; the cap bounds JSON parsing of hostile input. */
export const MAX_MANIFEST_BYTES = 64 * 1024;

/** Section ids, in the order sections must appear. */
const Section = { Manifest: 1, Code: 2, Files: 3 } as const;
const SECTION_NAMES: Record<number, string> = { [Section.Manifest]: 'manifest', [Section.Code]: 'code', [Section.Files]: 'files' };
/** Magic, format version, total length. */
const HEADER_BYTES = IMAGE_MAGIC.length + 4 + 4;
const WASM_PREAMBLE = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

export interface ImageParts {
  manifest: Manifest;
  /** A wasm module (runtime wasm) or an ES module's UTF-8 source (runtime js). */
  code: Uint8Array;
  files?: FileTree;
}

export interface Image {
  /** `sha256:<hex>` of the image file's bytes. */
  id: string;
  manifest: Manifest;
  /** A private copy with its own (unshared) buffer, ready for `new WebAssembly.Module`. */
  code: Uint8Array;
  files: FileTree;
}

export function imageId(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Writes an image; the manifest is normalized first, so what is written is what decodeImage accepts. */
export function encodeImage(parts: ImageParts): Uint8Array {
  const manifest = new TextEncoder().encode(canonicalJson(validateManifest(parts.manifest, 'load')));
  const sections: Array<[number, Uint8Array]> = [
    [Section.Manifest, manifest],
    [Section.Code, parts.code],
  ];
  if (parts.files && parts.files.size > 0) sections.push([Section.Files, encodeFileTree(parts.files)]);

  const size = HEADER_BYTES + sections.reduce((sum, [, payload]) => sum + 5 + payload.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(IMAGE_MAGIC, 0);
  view.setUint32(IMAGE_MAGIC.length, IMAGE_FORMAT_VERSION, true);
  view.setUint32(IMAGE_MAGIC.length + 4, size, true);
  let at = HEADER_BYTES;
  for (const [id, payload] of sections) {
    view.setUint8(at, id);
    view.setUint32(at + 1, payload.length, true);
    out.set(payload, at + 5);
    at += 5 + payload.length;
  }
  return out;
}

/** Reads and fully checks an image. With `limits`, also refuses images bigger or hungrier than the node allows. */
export function decodeImage(bytes: Uint8Array, limits?: NodeLimits): Image {
  if (limits && bytes.length > limits.maxImageBytes) {
    throw new ImageError('too_large', `the image is ${bytes.length} bytes, more than this node accepts (${limits.maxImageBytes})`, 'shrink the app (static files, dependencies) or raise the node\'s image size limit');
  }
  const sections = readSections(bytes);
  const manifest = readManifest(sections.get(Section.Manifest)!);
  if (limits) checkAgainstLimits(manifest, limits);
  const filesPayload = sections.get(Section.Files);
  const files = filesPayload ? decodeFileTree(filesPayload) : new Map<string, Uint8Array>();
  // A private copy (not `.slice()`, which on a Buffer is a view): the image stays immutable even if
  // the caller reuses its buffer, and WebAssembly.validate needs an unshared buffer.
  const code = new Uint8Array(sections.get(Section.Code)!);
  checkCode(code, manifest);
  return { id: imageId(bytes), manifest, code, files };
}

function readSections(bytes: Uint8Array): Map<number, Uint8Array> {
  checkMagic(bytes);
  const reader = new ByteReader(bytes, 'the image');
  reader.bytesOf(IMAGE_MAGIC.length, 'the magic');
  const version = reader.u32('the format version');
  if (version !== IMAGE_FORMAT_VERSION) {
    throw new ImageError('unsupported_version', `the image has format version ${version}; this flick reads version ${IMAGE_FORMAT_VERSION}`, 'rebuild the image with this version of `flick build`');
  }
  // Sections are optional at the end, so only the declared length tells a file cut at a section boundary from a whole one.
  const declared = reader.u32('the total length');
  if (declared !== bytes.length) {
    const [code, problem]: [ImageErrorCode, string] = declared > bytes.length ? ['truncated', 'is truncated'] : ['trailing_data', 'has extra bytes at the end'];
    throw new ImageError(code, `the image ${problem}: its header says ${declared} bytes, the file has ${bytes.length}`, 'the file was cut short or appended to in transit; copy or rebuild it');
  }
  const sections = new Map<number, Uint8Array>();
  let last = 0;
  while (reader.remaining > 0) {
    const at = reader.position;
    const id = reader.u8('a section id');
    const name = SECTION_NAMES[id];
    if (!name) throw new ImageError('unknown_section', `the image has an unknown section id ${id} at offset ${at}`, 'the file is corrupted or was written by a newer flick; rebuild it with this version');
    if (sections.has(id)) throw new ImageError('duplicate_section', `the image has a second ${name} section at offset ${at}`, 'the file is corrupted; rebuild it with `flick build`');
    if (id < last) throw new ImageError('section_order', `the image's ${name} section at offset ${at} comes after ${SECTION_NAMES[last]}`, 'the file is corrupted; rebuild it with `flick build`');
    const length = reader.u32(`the length of the ${name} section`);
    if (id === Section.Manifest && length > MAX_MANIFEST_BYTES) {
      throw new ImageError('section_too_large', `the image's manifest is ${length} bytes, more than ${MAX_MANIFEST_BYTES}`, 'the file is corrupted; a manifest is a few hundred bytes');
    }
    sections.set(id, reader.bytesOf(length, `the ${name} section`));
    last = id;
  }
  for (const id of [Section.Manifest, Section.Code]) {
    if (!sections.has(id)) throw new ImageError('missing_section', `the image has no ${SECTION_NAMES[id]} section`, 'the file is incomplete; rebuild it with `flick build`');
  }
  return sections;
}

function checkMagic(bytes: Uint8Array): void {
  const prefix = bytes.subarray(0, IMAGE_MAGIC.length);
  if (!prefix.every((b, i) => b === IMAGE_MAGIC[i])) {
    throw new ImageError('bad_magic', 'the file is not a flick image (wrong magic bytes)', 'pass an image made by `flick build` (a .flick file)');
  }
  if (bytes.length < HEADER_BYTES) {
    throw new ImageError('truncated', `the image is truncated: ${bytes.length} bytes, shorter than its ${HEADER_BYTES}-byte header`, 'the file was cut short; copy or rebuild it');
  }
}

function readManifest(payload: Uint8Array): Manifest {
  let text: string;
  try {
    text = strictUtf8.decode(payload);
  } catch {
    throw new ImageError('bad_utf8', "the image's manifest is not valid UTF-8", 'the file is corrupted; rebuild it with `flick build`');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ImageError('bad_manifest_json', "the image's manifest is not valid JSON", 'the file is corrupted; rebuild it with `flick build`');
  }
  const manifest = validateManifest(raw, 'load');
  // One manifest, one encoding: otherwise equal images could differ in bytes and id.
  if (canonicalJson(manifest) !== text) {
    throw new ImageError('manifest_not_canonical', "the image's manifest is not in canonical form (sorted keys, defaults filled in, no spaces)", 'rebuild the image with `flick build` instead of editing it by hand');
  }
  return manifest;
}

function checkCode(code: Uint8Array, manifest: Manifest): void {
  if (manifest.runtime === 'js') {
    try {
      strictUtf8.decode(code);
    } catch {
      throw new ImageError('bad_code', "the image's JS bundle is not valid UTF-8", 'rebuild the image with `flick build`');
    }
    return;
  }
  if (code.length < WASM_PREAMBLE.length || !WASM_PREAMBLE.every((b, i) => code[i] === b)) {
    throw new ImageError('bad_code', "the image's code is not a WebAssembly module (wrong magic or version)", 'for runtime "wasm" the code must be a wasm binary (version 1); rebuild the image');
  }
  if (!WebAssembly.validate(code)) {
    throw new ImageError('bad_code', "the image's WebAssembly module does not validate", 'rebuild the image; if it still fails, the compiler emitted features this Node does not support');
  }
}

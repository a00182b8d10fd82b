/**
 * The read-only file tree an image may carry (the app's static files). Encoded as a count and then
 * entries `u16 path length | UTF-8 path | u32 data length | data`, paths strictly ascending by
 * bytes, so one tree has exactly one encoding. See docs/image-format.md.
 */
import { ByteReader, strictUtf8 } from './byte-reader.js';
import { ImageError } from './errors.js';

export type FileTree = ReadonlyMap<string, Uint8Array>;

const MAX_FILE_PATH_BYTES = 1024;
export const MAX_FILES = 10_000;

const utf8 = new TextEncoder();

/** Why `path` cannot name a file in an image, or undefined when it can: relative, `/`-separated, no `.`/`..`/empty segments. */
export function filePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (utf8.encode(path).length > MAX_FILE_PATH_BYTES) return `is longer than ${MAX_FILE_PATH_BYTES} bytes`;
  // Control characters and backslashes mean different things on different hosts; the tree must not.
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return 'contains a control character or a backslash';
  // A lone surrogate has no UTF-8 encoding (it would be written as U+FFFD and collide with others).
  if (/[\uD800-\uDFFF]/u.test(path)) return 'is not valid Unicode';
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'is not a plain relative path (absolute, or with an empty, "." or ".." segment)';
  }
  return undefined;
}

export function encodeFileTree(files: FileTree): Uint8Array {
  const entries = [...files].map(([path, data]) => ({ path, pathBytes: utf8.encode(path), data }));
  entries.sort((a, b) => Buffer.compare(a.pathBytes, b.pathBytes));
  checkTree(entries.map((e) => e.path));
  const size = 4 + entries.reduce((sum, e) => sum + 2 + e.pathBytes.length + 4 + e.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, entries.length, true);
  let at = 4;
  for (const { pathBytes, data } of entries) {
    view.setUint16(at, pathBytes.length, true);
    out.set(pathBytes, at + 2);
    at += 2 + pathBytes.length;
    view.setUint32(at, data.length, true);
    out.set(data, at + 4);
    at += 4 + data.length;
  }
  return out;
}

/** Decodes and checks a file tree section; file contents are copied out of `payload` (which may be a caller's Buffer). */
export function decodeFileTree(payload: Uint8Array): Map<string, Uint8Array> {
  const reader = new ByteReader(payload, 'the file tree');
  const count = reader.u32('the file count');
  // Each entry takes at least 6 bytes, so a count the payload cannot hold is refused before looping.
  if (count > MAX_FILES || count * 6 > reader.remaining) {
    throw badTree(`declares ${count} files, more than ${count > MAX_FILES ? `the maximum of ${MAX_FILES}` : 'its section can hold'}`);
  }
  const files = new Map<string, Uint8Array>();
  let previous: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const pathBytes = reader.bytesOf(reader.u16(`the length of path #${i}`), `path #${i}`);
    let path: string;
    try {
      path = strictUtf8.decode(pathBytes);
    } catch {
      throw badTree(`path #${i} is not valid UTF-8`);
    }
    if (previous && Buffer.compare(previous, pathBytes) >= 0) throw badTree(`path "${path}" is out of order or repeated`);
    previous = pathBytes;
    files.set(path, new Uint8Array(reader.bytesOf(reader.u32(`the length of "${path}"`), `the contents of "${path}"`)));
  }
  if (reader.remaining !== 0) throw badTree(`has ${reader.remaining} stray bytes after its last file`);
  checkTree([...files.keys()]);
  return files;
}

/** Every path is well-formed, and no file is also used as a directory ("a" and "a/b"). */
function checkTree(paths: readonly string[]): void {
  const set = new Set(paths);
  if (set.size !== paths.length) throw badTree('repeats a path');
  for (const path of paths) {
    const problem = filePathProblem(path);
    if (problem) throw badTree(`path "${path.slice(0, 80)}" ${problem}`);
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      if (set.has(path.slice(0, slash))) throw badTree(`"${path.slice(0, slash)}" is both a file and a directory`);
    }
  }
}

function badTree(problem: string): ImageError {
  return new ImageError('bad_file_tree', `the image's file tree ${problem}`, 'rebuild the image with `flick build`; the file tree was corrupted or hand-made');
}

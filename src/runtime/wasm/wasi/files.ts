/**
 * Read-only file trees a guest can see through WASI. A tree answers by normalised relative path
 * ('' is its root, segments joined by '/', never '.' or '..'); `resolveGuestPath` (tree-paths.ts) is
 * the one place a guest-supplied path becomes such a path, so no tree has to defend against `..`.
 */
import { MemoryFileTree } from './memory-files.js';

export type FileKind = 'file' | 'directory';

export interface FileStat {
  kind: FileKind;
  size: number;
  /** Stable within the tree (d_ino / st_ino); never 0. */
  ino: number;
  /** Modification time in milliseconds since the epoch (0 for image files: builds are reproducible). */
  mtimeMs: number;
}

export interface DirectoryListing {
  name: string;
  kind: FileKind;
  ino: number;
}

export interface FileSource {
  /** null when nothing is there (or what is there must stay invisible, like a symlink out of the tree). */
  stat(path: string): FileStat | null;
  /** Entries of a directory sorted by name, without '.' and '..'; null when `path` is not a directory. */
  list(path: string): readonly DirectoryListing[] | null;
  /** Copies bytes of a file from `position` into `into`; returns how many (0 at the end). */
  read(path: string, position: number, into: Uint8Array): number;
}

/** An image's files (path → bytes) as a tree; build it once per app, its instances share it. */
export function memoryFileSource(files: ReadonlyMap<string, Uint8Array>): FileSource {
  return new MemoryFileTree(files);
}

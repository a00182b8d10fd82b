/**
 * A file tree held in memory: an image's files (path → bytes). Directories are implied by the paths
 * of the files in them. Indexed once when built, so that every instance of an app shares the index.
 */
import type { DirectoryListing, FileSource, FileStat } from './files.js';
import { parentPath, resolveGuestPath } from './tree-paths.js';

interface Node {
  stat: FileStat;
  bytes: Uint8Array | null;
  children: DirectoryListing[] | null;
}

export class MemoryFileTree implements FileSource {
  private readonly nodes = new Map<string, Node>();

  /** `files` maps paths like `static/index.html` (a leading '/' is ignored) to their bytes. */
  constructor(files: ReadonlyMap<string, Uint8Array>) {
    this.nodes.set('', this.directoryNode());
    for (const [name, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const path = resolveGuestPath('', name.replace(/^\/+/, ''));
      if (path === null || path === '') {
        throw new RangeError(`file tree path '${name}' is not a file path inside the tree`);
      }
      this.addFile(path, bytes);
    }
    for (const node of this.nodes.values()) node.children?.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  stat(path: string): FileStat | null {
    return this.nodes.get(path)?.stat ?? null;
  }

  list(path: string): readonly DirectoryListing[] | null {
    return this.nodes.get(path)?.children ?? null;
  }

  read(path: string, position: number, into: Uint8Array): number {
    const bytes = this.nodes.get(path)?.bytes;
    if (!bytes || position >= bytes.length) return 0;
    const n = Math.min(into.length, bytes.length - position);
    into.set(bytes.subarray(position, position + n));
    return n;
  }

  private addFile(path: string, bytes: Uint8Array): void {
    const existing = this.nodes.get(path);
    if (existing) throw new RangeError(`file tree path '${path}' is both a file and a directory`);
    const node: Node = { stat: { kind: 'file', size: bytes.length, ino: this.nodes.size + 1, mtimeMs: 0 }, bytes, children: null };
    this.nodes.set(path, node);
    this.link(path, node);
  }

  /** Adds `path` to its parent's listing, creating the parent directories on the way. */
  private link(path: string, node: Node): void {
    const parent = parentPath(path);
    let dir = this.nodes.get(parent);
    if (!dir) {
      dir = this.directoryNode();
      this.nodes.set(parent, dir);
      this.link(parent, dir);
    }
    if (!dir.children) throw new RangeError(`file tree path '${parent}' is both a file and a directory`);
    dir.children.push({ name: path.slice(parent === '' ? 0 : parent.length + 1), kind: node.stat.kind, ino: node.stat.ino });
  }

  private directoryNode(): Node {
    return { stat: { kind: 'directory', size: 0, ino: this.nodes.size + 1, mtimeMs: 0 }, bytes: null, children: [] };
  }
}

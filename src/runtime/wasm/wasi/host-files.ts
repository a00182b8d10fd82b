/**
 * A host directory as a read-only file tree (`flick run --dir HOST::GUEST`). Every access resolves
 * symlinks and refuses anything whose real path is outside the directory, so neither `..` (already
 * removed by resolveGuestPath) nor a symlink can reach the rest of the host.
 */
import { closeSync, constants, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { DirectoryListing, FileSource, FileStat } from './files.js';
import { joinPath } from './tree-paths.js';
import { HintedError } from '../../../hinted-error.js';

export class HostDirectoryError extends HintedError {}

export class HostDirectory implements FileSource {
  private readonly root: string;
  /** `root` with a trailing separator: a path is inside when it starts with this. */
  private readonly rootPrefix: string;

  constructor(hostPath: string) {
    let root: string;
    try {
      root = realpathSync(hostPath);
    } catch {
      throw new HostDirectoryError(`cannot mount '${hostPath}': it does not exist`, 'give an existing directory: --dir HOST[::GUEST]');
    }
    if (!statSync(root).isDirectory()) {
      throw new HostDirectoryError(`cannot mount '${hostPath}': it is not a directory`, 'mount the directory that contains the file instead');
    }
    this.root = root;
    this.rootPrefix = root.endsWith(sep) ? root : root + sep;
  }

  stat(path: string): FileStat | null {
    const real = this.realPath(path);
    if (real === null) return null;
    try {
      const st = statSync(real);
      if (!st.isFile() && !st.isDirectory()) return null;
      return { kind: st.isDirectory() ? 'directory' : 'file', size: st.isDirectory() ? 0 : st.size, ino: st.ino || 1, mtimeMs: st.mtimeMs };
    } catch {
      return null;
    }
  }

  list(path: string): readonly DirectoryListing[] | null {
    const real = this.realPath(path);
    if (real === null) return null;
    let names: string[];
    try {
      names = readdirSync(real);
    } catch {
      return null;
    }
    const out: DirectoryListing[] = [];
    for (const name of names.sort()) {
      // Entries that would be refused on access (escaping symlinks, sockets, devices) are not listed.
      const st = this.stat(joinPath(path, name));
      if (st) out.push({ name, kind: st.kind, ino: st.ino });
    }
    return out;
  }

  read(path: string, position: number, into: Uint8Array): number {
    const real = this.realPath(path);
    if (real === null) return 0;
    // O_NOFOLLOW: the real path has no symlinks left, so one appearing since is a race to refuse.
    const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return readSync(fd, into, 0, into.length, position);
    } finally {
      closeSync(fd);
    }
  }

  /** The real host path of a tree path, or null when it does not exist or lies outside the root. */
  private realPath(path: string): string | null {
    let real: string;
    try {
      real = realpathSync(join(this.root, path));
    } catch {
      return null;
    }
    return real === this.root || real.startsWith(this.rootPrefix) ? real : null;
  }
}

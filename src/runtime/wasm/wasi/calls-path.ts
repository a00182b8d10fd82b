/**
 * preview1 functions on paths below a directory fd. Trees are read-only: opening for reading works,
 * anything that would create or change a file answers EROFS, as on a read-only mount natively.
 */
import type { InstanceContext } from '../host-context.js';
import { DIRECTORY_RIGHTS, Errno, FILE_RIGHTS, Fdflags, Layout, Oflags, Rights, rightsFromI64, WRITE_RIGHTS } from './abi.js';
import type { FileSource, FileStat } from './files.js';
import { resolveGuestPath } from './tree-paths.js';
import { filetypeOf } from './guest-memory.js';
import type { CallScope } from './scope.js';
import type { DirectoryFd, FdEntry } from './state.js';

interface ResolvedPath {
  dir: DirectoryFd;
  source: FileSource;
  path: string;
  /** What is there, or null. */
  stat: FileStat | null;
}

export function pathCalls(scope: CallScope): Record<string, Function> {
  const mem = scope.memory;

  /** The tree path a guest path names below a directory fd, or the errno that refuses it. */
  function resolve(ctx: InstanceContext, fd: number, pathPtr: number, pathLen: number, right: number): ResolvedPath | number {
    const dir = scope.fd(ctx, fd);
    if (dir === null) return Errno.BADF;
    if (dir.kind !== 'directory') return Errno.NOTDIR;
    if (!(dir.rights & right)) return Errno.NOTCAPABLE;
    pathPtr >>>= 0;
    pathLen >>>= 0;
    if (!mem.has(pathPtr, pathLen)) return Errno.FAULT;
    const guestPath = mem.getString(pathPtr, pathLen);
    if (guestPath === null) return Errno.INVAL;
    if (guestPath === '') return Errno.NOENT;
    const path = resolveGuestPath(dir.path, guestPath);
    if (path === null) return Errno.NOTCAPABLE;
    const source = scope.source(dir.source);
    if (!source) return Errno.NOENT;
    const stat = source.stat(path);
    // 'name/' names a directory: a file there is ENOTDIR, as natively.
    if (stat && stat.kind === 'file' && guestPath.endsWith('/')) return Errno.NOTDIR;
    return { dir, source, path, stat };
  }

  /** Lowest free fd number above stdio, as POSIX open() picks. */
  function allocate(ctx: InstanceContext, entry: FdEntry): number {
    const fds = ctx.wasi.fds;
    for (let fd = 3; fd < fds.length; fd++) {
      if (fds[fd] === null) {
        fds[fd] = entry;
        return fd;
      }
    }
    fds.push(entry);
    return fds.length - 1;
  }

  /** Creating, changing or removing anything below a valid directory fd. */
  function readOnlyTree(fd: number): number {
    const dir = scope.fd(scope.enter(), fd);
    if (dir === null) return Errno.BADF;
    return dir.kind === 'directory' ? Errno.ROFS : Errno.NOTDIR;
  }

  return {
    path_open(
      fd: number, _lookupFlags: number, pathPtr: number, pathLen: number, oflags: number,
      rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdOut: number,
    ): number {
      const ctx = scope.enter();
      const found = resolve(ctx, fd, pathPtr, pathLen, Rights.PATH_OPEN);
      if (typeof found === 'number') return found;
      fdOut >>>= 0;
      if (!mem.has(fdOut, 4)) return Errno.FAULT;
      const { dir, stat } = found;
      const base = rightsFromI64(rightsBase);
      const inheriting = rightsFromI64(rightsInheriting);
      const wantsWrite = (base & WRITE_RIGHTS) !== 0 || (oflags & (Oflags.CREAT | Oflags.TRUNC)) !== 0 || (fdflags & Fdflags.APPEND) !== 0;
      if (stat === null) return oflags & Oflags.CREAT ? Errno.ROFS : Errno.NOENT;
      if (oflags & Oflags.CREAT && oflags & Oflags.EXCL) return Errno.EXIST;
      let entry: FdEntry;
      if (stat.kind === 'directory') {
        if (wantsWrite) return Errno.ISDIR;
        entry = {
          kind: 'directory', source: dir.source, path: found.path, preopen: null,
          rights: base & dir.inheriting & DIRECTORY_RIGHTS, inheriting: inheriting & dir.inheriting, flags: fdflags & 0xffff,
        };
      } else {
        if (oflags & Oflags.DIRECTORY) return Errno.NOTDIR;
        if (wantsWrite) return Errno.ROFS;
        entry = { kind: 'file', source: dir.source, path: found.path, offset: 0, rights: base & dir.inheriting & FILE_RIGHTS, flags: fdflags & 0xffff };
      }
      mem.view.setUint32(fdOut, allocate(ctx, entry), true);
      return Errno.SUCCESS;
    },

    path_filestat_get(fd: number, _lookupFlags: number, pathPtr: number, pathLen: number, ptr: number): number {
      const found = resolve(scope.enter(), fd, pathPtr, pathLen, Rights.PATH_FILESTAT_GET);
      if (typeof found === 'number') return found;
      if (found.stat === null) return Errno.NOENT;
      ptr >>>= 0;
      if (!mem.has(ptr, Layout.FILESTAT_SIZE)) return Errno.FAULT;
      mem.setFilestat(ptr, filetypeOf(found.stat), found.stat);
      return Errno.SUCCESS;
    },

    /** Trees resolve symlinks themselves and show their targets, so nothing in one is a link. */
    path_readlink(fd: number, pathPtr: number, pathLen: number): number {
      const found = resolve(scope.enter(), fd, pathPtr, pathLen, Rights.PATH_READLINK);
      if (typeof found === 'number') return found;
      return found.stat === null ? Errno.NOENT : Errno.INVAL;
    },

    path_create_directory: readOnlyTree,
    path_remove_directory: readOnlyTree,
    path_unlink_file: readOnlyTree,
    path_filestat_set_times: readOnlyTree,
    path_rename: readOnlyTree,
    path_link: readOnlyTree,
    path_symlink(_oldPath: number, _oldPathLen: number, fd: number): number {
      return readOnlyTree(fd);
    },
  };
}

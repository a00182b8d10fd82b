/**
 * preview1 functions on file descriptors: stdio streams, read-only files and directories. Files are
 * re-read from their tree on every call (an fd is only tree + path + offset, see state.ts).
 */
import type { InstanceContext } from '../host-context.js';
import { Errno, Filetype, Layout, PREOPENTYPE_DIR, Rights, rightsFromI64, Whence } from './abi.js';
import { parentPath } from './tree-paths.js';
import { filetypeOf } from './guest-memory.js';
import type { CallScope } from './scope.js';
import type { FdEntry, FileFd, StdioFd } from './state.js';

/** Scratch for one dirent header: fd_readdir may have to cut an entry at the end of the guest's buffer. */
const direntHeader = new Uint8Array(Layout.DIRENT_SIZE);
const direntView = new DataView(direntHeader.buffer);

export function fdCalls(scope: CallScope): Record<string, Function> {
  const mem = scope.memory;

  /**
   * Reads into each iovec in turn from `position` (null: the stream's own position), stopping at a
   * short read as readv does. Returns the byte count or, negated, an errno.
   */
  function readVectored(ctx: InstanceContext, entry: StdioFd | FileFd, iovs: number, iovsLen: number, position: number): number {
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const ptr = mem.view.getUint32(iovs + i * Layout.IOVEC_SIZE, true);
      const len = mem.view.getUint32(iovs + i * Layout.IOVEC_SIZE + 4, true);
      if (!mem.has(ptr, len)) return -Errno.FAULT;
      const into = mem.bytes.subarray(ptr, ptr + len);
      let n: number;
      try {
        n = entry.kind === 'stdio' ? readStdin(ctx, into) : readFile(entry, position + total, into);
      } catch {
        return -Errno.IO;
      }
      if (n < 0) return n;
      total += n;
      if (n < len) break;
    }
    return total;
  }

  function readStdin(ctx: InstanceContext, into: Uint8Array): number {
    const stdin = ctx.wasi.stdin;
    if (stdin.bytes === null) return scope.stdin ? scope.stdin(into) : 0;
    const n = Math.min(into.length, stdin.bytes.length - stdin.offset);
    into.set(stdin.bytes.subarray(stdin.offset, stdin.offset + n));
    stdin.offset += n;
    return n;
  }

  function readFile(entry: FileFd, position: number, into: Uint8Array): number {
    const source = scope.source(entry.source);
    return source ? source.read(entry.path, position, into) : -Errno.BADF;
  }

  /** An fd that reads, or the errno explaining why this one does not. */
  function readable(entry: FdEntry | null): StdioFd | FileFd | number {
    if (entry === null) return Errno.BADF;
    if (entry.kind === 'directory') return Errno.ISDIR;
    if (!(entry.rights & Rights.FD_READ)) return Errno.BADF;
    return entry;
  }

  /** Metadata changes: the fd is valid but everything behind it is read-only. */
  function readOnly(fd: number): number {
    return scope.fd(scope.enter(), fd) === null ? Errno.BADF : Errno.ROFS;
  }

  return {
    fd_write(fd: number, iovs: number, iovsLen: number, nwritten: number): number {
      const ctx = scope.enter();
      const entry = scope.fd(ctx, fd);
      if (entry === null || entry.kind !== 'stdio' || entry.stream === 0 || !(entry.rights & Rights.FD_WRITE)) return Errno.BADF;
      iovs >>>= 0;
      iovsLen >>>= 0;
      nwritten >>>= 0;
      if (!mem.has(iovs, iovsLen * Layout.IOVEC_SIZE) || !mem.has(nwritten, 4)) return Errno.FAULT;
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = mem.view.getUint32(iovs + i * Layout.IOVEC_SIZE, true);
        const len = mem.view.getUint32(iovs + i * Layout.IOVEC_SIZE + 4, true);
        if (!mem.has(ptr, len)) return Errno.FAULT;
        // A view, not a copy: a sink that keeps the bytes copies them (the memory changes later).
        if (len > 0) ctx.stdio.write(entry.stream, mem.bytes.subarray(ptr, ptr + len));
        total += len;
      }
      mem.view.setUint32(nwritten, total, true);
      return Errno.SUCCESS;
    },

    fd_read(fd: number, iovs: number, iovsLen: number, nread: number): number {
      const ctx = scope.enter();
      const entry = readable(scope.fd(ctx, fd));
      if (typeof entry === 'number') return entry;
      iovs >>>= 0;
      iovsLen >>>= 0;
      nread >>>= 0;
      if (!mem.has(iovs, iovsLen * Layout.IOVEC_SIZE) || !mem.has(nread, 4)) return Errno.FAULT;
      const n = readVectored(ctx, entry, iovs, iovsLen, entry.kind === 'file' ? entry.offset : 0);
      if (n < 0) return -n;
      if (entry.kind === 'file') entry.offset += n;
      mem.view.setUint32(nread, n, true);
      return Errno.SUCCESS;
    },

    fd_pread(fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number): number {
      const ctx = scope.enter();
      const entry = readable(scope.fd(ctx, fd));
      if (typeof entry === 'number') return entry;
      if (entry.kind === 'stdio') return Errno.SPIPE;
      if (offset < 0n) return Errno.INVAL;
      iovs >>>= 0;
      iovsLen >>>= 0;
      nread >>>= 0;
      if (!mem.has(iovs, iovsLen * Layout.IOVEC_SIZE) || !mem.has(nread, 4)) return Errno.FAULT;
      const n = readVectored(ctx, entry, iovs, iovsLen, Number(offset));
      if (n < 0) return -n;
      mem.view.setUint32(nread, n, true);
      return Errno.SUCCESS;
    },

    fd_seek(fd: number, offset: bigint, whence: number, newOffset: number): number {
      const ctx = scope.enter();
      const entry = scope.fd(ctx, fd);
      if (entry === null) return Errno.BADF;
      if (entry.kind === 'stdio') return Errno.SPIPE;
      if (entry.kind === 'directory') return Errno.BADF;
      newOffset >>>= 0;
      if (!mem.has(newOffset, 8)) return Errno.FAULT;
      let base: number;
      if (whence === Whence.SET) base = 0;
      else if (whence === Whence.CUR) base = entry.offset;
      else if (whence === Whence.END) {
        const stat = scope.source(entry.source)?.stat(entry.path);
        if (!stat) return Errno.BADF;
        base = stat.size;
      } else return Errno.INVAL;
      const target = base + Number(offset);
      if (target < 0) return Errno.INVAL;
      if (target > Number.MAX_SAFE_INTEGER) return Errno.OVERFLOW;
      entry.offset = target;
      mem.setU64(newOffset, target);
      return Errno.SUCCESS;
    },

    fd_tell(fd: number, offsetPtr: number): number {
      const ctx = scope.enter();
      const entry = scope.fd(ctx, fd);
      if (entry === null || entry.kind === 'directory') return Errno.BADF;
      if (entry.kind === 'stdio') return Errno.SPIPE;
      offsetPtr >>>= 0;
      if (!mem.has(offsetPtr, 8)) return Errno.FAULT;
      mem.setU64(offsetPtr, entry.offset);
      return Errno.SUCCESS;
    },

    fd_close(fd: number): number {
      const ctx = scope.enter();
      if (scope.fd(ctx, fd) === null) return Errno.BADF;
      ctx.wasi.fds[fd >>> 0] = null;
      return Errno.SUCCESS;
    },

    fd_renumber(fd: number, to: number): number {
      const ctx = scope.enter();
      const entry = scope.fd(ctx, fd);
      if (entry === null || scope.fd(ctx, to) === null) return Errno.BADF;
      ctx.wasi.fds[to >>> 0] = entry;
      if (fd >>> 0 !== to >>> 0) ctx.wasi.fds[fd >>> 0] = null;
      return Errno.SUCCESS;
    },

    fd_fdstat_get(fd: number, ptr: number): number {
      const ctx = scope.enter();
      const entry = scope.fd(ctx, fd);
      if (entry === null) return Errno.BADF;
      ptr >>>= 0;
      if (!mem.has(ptr, Layout.FDSTAT_SIZE)) return Errno.FAULT;
      mem.bytes.fill(0, ptr, ptr + Layout.FDSTAT_SIZE);
      const filetype = entry.kind === 'stdio' ? entry.filetype : entry.kind === 'directory' ? Filetype.DIRECTORY : Filetype.REGULAR_FILE;
      mem.view.setUint8(ptr, filetype);
      mem.view.setUint16(ptr + 2, entry.flags, true);
      mem.setU64(ptr + 8, entry.rights);
      mem.setU64(ptr + 16, entry.kind === 'directory' ? entry.inheriting : 0);
      return Errno.SUCCESS;
    },

    fd_fdstat_set_flags(fd: number, flags: number): number {
      const entry = scope.fd(scope.enter(), fd);
      if (entry === null) return Errno.BADF;
      if (!(entry.rights & Rights.FD_FDSTAT_SET_FLAGS)) return Errno.NOTCAPABLE;
      entry.flags = flags & 0xffff;
      return Errno.SUCCESS;
    },

    fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint): number {
      const entry = scope.fd(scope.enter(), fd);
      if (entry === null) return Errno.BADF;
      const rights = rightsFromI64(base);
      // Rights can only shrink: a guest that drops a right cannot take it back.
      if ((rights & ~entry.rights) !== 0) return Errno.NOTCAPABLE;
      entry.rights = rights;
      if (entry.kind === 'directory') {
        const inherited = rightsFromI64(inheriting);
        if ((inherited & ~entry.inheriting) !== 0) return Errno.NOTCAPABLE;
        entry.inheriting = inherited;
      }
      return Errno.SUCCESS;
    },

    fd_filestat_get(fd: number, ptr: number): number {
      const ctx = scope.enter();
      const entry = scope.fd(ctx, fd);
      if (entry === null) return Errno.BADF;
      ptr >>>= 0;
      if (!mem.has(ptr, Layout.FILESTAT_SIZE)) return Errno.FAULT;
      if (entry.kind === 'stdio') {
        mem.setFilestat(ptr, entry.filetype, null);
        return Errno.SUCCESS;
      }
      const stat = scope.source(entry.source)?.stat(entry.path);
      if (!stat) return Errno.NOENT;
      mem.setFilestat(ptr, filetypeOf(stat), stat);
      return Errno.SUCCESS;
    },

    fd_prestat_get(fd: number, ptr: number): number {
      const entry = scope.fd(scope.enter(), fd);
      if (entry === null || entry.kind !== 'directory' || entry.preopen === null) return Errno.BADF;
      ptr >>>= 0;
      if (!mem.has(ptr, 8)) return Errno.FAULT;
      mem.view.setUint32(ptr, PREOPENTYPE_DIR, true);
      mem.view.setUint32(ptr + 4, Buffer.byteLength(entry.preopen), true);
      return Errno.SUCCESS;
    },

    fd_prestat_dir_name(fd: number, ptr: number, len: number): number {
      const entry = scope.fd(scope.enter(), fd);
      if (entry === null || entry.kind !== 'directory' || entry.preopen === null) return Errno.BADF;
      const name = Buffer.from(entry.preopen);
      ptr >>>= 0;
      len >>>= 0;
      if (len < name.length) return Errno.NAMETOOLONG;
      if (!mem.has(ptr, name.length)) return Errno.FAULT;
      mem.put(ptr, name);
      return Errno.SUCCESS;
    },

    fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, bufUsed: number): number {
      const ctx = scope.enter();
      const entry = scope.fd(ctx, fd);
      if (entry === null) return Errno.BADF;
      if (entry.kind !== 'directory') return Errno.NOTDIR;
      if (!(entry.rights & Rights.FD_READDIR)) return Errno.NOTCAPABLE;
      buf >>>= 0;
      bufLen >>>= 0;
      bufUsed >>>= 0;
      if (!mem.has(buf, bufLen) || !mem.has(bufUsed, 4)) return Errno.FAULT;
      const source = scope.source(entry.source);
      const listing = source?.list(entry.path);
      if (!source || !listing) return Errno.NOENT;
      // Entries 0 and 1 are '.' and '..', as a native readdir returns them; the cookie is the next index.
      const count = listing.length + 2;
      let used = 0;
      for (let i = Number(BigInt.asUintN(64, cookie)); i < count && used < bufLen; i++) {
        const name = i === 0 ? '.' : i === 1 ? '..' : listing[i - 2].name;
        const ino = i === 0 ? source.stat(entry.path)?.ino : i === 1 ? source.stat(parentPath(entry.path))?.ino : listing[i - 2].ino;
        const isDir = i < 2 || listing[i - 2].kind === 'directory';
        const nameBytes = Buffer.from(name);
        direntView.setBigUint64(0, BigInt(i + 1), true);
        direntView.setBigUint64(8, BigInt(ino ?? 1), true);
        direntView.setUint32(16, nameBytes.length, true);
        direntView.setUint32(20, isDir ? Filetype.DIRECTORY : Filetype.REGULAR_FILE, true);
        // The last entry is cut where the buffer ends: the guest sees a full buffer and retries bigger.
        const headerPart = Math.min(Layout.DIRENT_SIZE, bufLen - used);
        mem.bytes.set(direntHeader.subarray(0, headerPart), buf + used);
        used += headerPart;
        const namePart = Math.min(nameBytes.length, bufLen - used);
        mem.bytes.set(nameBytes.subarray(0, namePart), buf + used);
        used += namePart;
      }
      mem.view.setUint32(bufUsed, used, true);
      return Errno.SUCCESS;
    },

    fd_advise(fd: number): number {
      const entry = scope.fd(scope.enter(), fd);
      if (entry === null) return Errno.BADF;
      return entry.kind === 'stdio' ? Errno.SPIPE : Errno.SUCCESS;
    },

    fd_sync: flushNothing,
    fd_datasync: flushNothing,

    fd_pwrite(fd: number): number {
      const entry = scope.fd(scope.enter(), fd);
      return entry !== null && entry.kind === 'stdio' ? Errno.SPIPE : Errno.BADF;
    },

    fd_allocate: readOnly,
    fd_filestat_set_size: readOnly,
    fd_filestat_set_times: readOnly,

    sock_accept: notSocket,
    sock_recv: notSocket,
    sock_send: notSocket,
    sock_shutdown: notSocket,
  };

  /** Nothing is ever written, so a sync has nothing to flush (and a stream cannot be synced). */
  function flushNothing(fd: number): number {
    const entry = scope.fd(scope.enter(), fd);
    if (entry === null) return Errno.BADF;
    return entry.kind === 'stdio' ? Errno.INVAL : Errno.SUCCESS;
  }

  /** No fd is ever a socket (preview1 cannot create one; a host could preopen one, flick does not). */
  function notSocket(fd: number): number {
    return scope.fd(scope.enter(), fd) === null ? Errno.BADF : Errno.NOTSOCK;
  }
}

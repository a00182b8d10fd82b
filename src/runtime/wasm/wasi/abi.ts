/**
 * WASI preview1 numbers: errno values, flags, rights and struct layouts, as generated from the witx
 * spec into wasi-libc's `wasi/api.h` (the offsets below are that header's static asserts).
 */

export const Errno = {
  SUCCESS: 0,
  BADF: 8,
  EXIST: 20,
  FAULT: 21,
  INVAL: 28,
  IO: 29,
  ISDIR: 31,
  NAMETOOLONG: 37,
  NOENT: 44,
  NOTDIR: 54,
  NOTSOCK: 57,
  OVERFLOW: 61,
  ROFS: 69,
  SPIPE: 70,
  NOTCAPABLE: 76,
} as const;

export const Filetype = {
  UNKNOWN: 0,
  CHARACTER_DEVICE: 2,
  DIRECTORY: 3,
  REGULAR_FILE: 4,
} as const;

export const Clock = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const;

export const Whence = { SET: 0, CUR: 1, END: 2 } as const;

export const Oflags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;

export const Fdflags = { APPEND: 1 } as const;

export const EventType = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;

export const SUBSCRIPTION_CLOCK_ABSTIME = 1;

export const PREOPENTYPE_DIR = 0;

/** Rights are 30 bits, so they fit a JS number (the state stays plain data without bigints). */
export const Rights = {
  FD_DATASYNC: 1 << 0,
  FD_READ: 1 << 1,
  FD_SEEK: 1 << 2,
  FD_FDSTAT_SET_FLAGS: 1 << 3,
  FD_SYNC: 1 << 4,
  FD_TELL: 1 << 5,
  FD_WRITE: 1 << 6,
  FD_ADVISE: 1 << 7,
  FD_ALLOCATE: 1 << 8,
  PATH_CREATE_DIRECTORY: 1 << 9,
  PATH_CREATE_FILE: 1 << 10,
  PATH_LINK_SOURCE: 1 << 11,
  PATH_LINK_TARGET: 1 << 12,
  PATH_OPEN: 1 << 13,
  FD_READDIR: 1 << 14,
  PATH_READLINK: 1 << 15,
  PATH_RENAME_SOURCE: 1 << 16,
  PATH_RENAME_TARGET: 1 << 17,
  PATH_FILESTAT_GET: 1 << 18,
  PATH_FILESTAT_SET_SIZE: 1 << 19,
  PATH_FILESTAT_SET_TIMES: 1 << 20,
  FD_FILESTAT_GET: 1 << 21,
  FD_FILESTAT_SET_SIZE: 1 << 22,
  FD_FILESTAT_SET_TIMES: 1 << 23,
  PATH_SYMLINK: 1 << 24,
  PATH_REMOVE_DIRECTORY: 1 << 25,
  PATH_UNLINK_FILE: 1 << 26,
  POLL_FD_READWRITE: 1 << 27,
  SOCK_SHUTDOWN: 1 << 28,
  SOCK_ACCEPT: 1 << 29,
} as const;

export const ALL_RIGHTS = (1 << 30) - 1;

/** Rights arrive as an i64 (a BigInt in JS); only the 30 defined bits mean anything. */
export function rightsFromI64(value: bigint): number {
  return Number(BigInt.asUintN(64, value) & BigInt(ALL_RIGHTS));
}

/** What a read-only regular file can do. */
export const FILE_RIGHTS =
  Rights.FD_READ | Rights.FD_SEEK | Rights.FD_TELL | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_ADVISE |
  Rights.FD_FILESTAT_GET | Rights.POLL_FD_READWRITE;

/** What a read-only directory can do. */
export const DIRECTORY_RIGHTS =
  Rights.PATH_OPEN | Rights.FD_READDIR | Rights.PATH_FILESTAT_GET | Rights.FD_FILESTAT_GET |
  Rights.PATH_READLINK | Rights.FD_FDSTAT_SET_FLAGS;

/** Rights whose request means the guest wants to change a file (refused with EROFS). */
export const WRITE_RIGHTS = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_DATASYNC;

/** Struct sizes and field offsets (bytes). */
export const Layout = {
  IOVEC_SIZE: 8,
  FDSTAT_SIZE: 24,
  FILESTAT_SIZE: 64,
  DIRENT_SIZE: 24,
  SUBSCRIPTION_SIZE: 48,
  EVENT_SIZE: 32,
} as const;

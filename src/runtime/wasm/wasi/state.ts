/**
 * Everything WASI knows about one instance, as plain data (numbers, strings, arrays, plain objects,
 * Uint8Array): `structuredClone` copies it, a snapshot stores it, a restore hands it back. Nothing
 * here points at host resources: open files name their tree and path and are re-read on each call.
 */
import { ALL_RIGHTS, DIRECTORY_RIGHTS, Filetype, Rights } from './abi.js';

/** The file tree name a lone `FileSource` (the image's files) is registered under. */
export const IMAGE_SOURCE = 'image';

export interface StdioFd {
  kind: 'stdio';
  /** Which stream: 0 reads stdin, 1 and 2 write to the instance's StdioSink. */
  stream: 0 | 1 | 2;
  filetype: number;
  rights: number;
  flags: number;
}

export interface DirectoryFd {
  kind: 'directory';
  /** Name of the file tree (`WasiFiles`) the path lives in. */
  source: string;
  /** Normalised path inside the tree: '' is its root, no leading or trailing '/'. */
  path: string;
  /** The guest path a preopened mount announces (fd_prestat_dir_name); null for opened directories. */
  preopen: string | null;
  rights: number;
  inheriting: number;
  flags: number;
}

export interface FileFd {
  kind: 'file';
  source: string;
  path: string;
  /** Position of the next fd_read; a number (files are far below 2^53 bytes). */
  offset: number;
  rights: number;
  flags: number;
}

export type FdEntry = StdioFd | DirectoryFd | FileFd;

export interface StdinState {
  /** What fd_read on stdin returns; null: read the host's live stdin (`flick run`), or EOF when there is none. */
  bytes: Uint8Array | null;
  offset: number;
}

export interface WasiState {
  args: string[];
  /** `KEY=value` strings, in order, as environ_get hands them out. */
  env: string[];
  stdin: StdinState;
  /** Indexed by fd number; closed slots are null. */
  fds: Array<FdEntry | null>;
  /** Set by proc_exit: the instance has ended with this code. */
  exitCode: number | null;
}

export interface WasiMount {
  /** The directory name the guest sees, e.g. `/data` or `.`. */
  guestPath: string;
  /** The file tree mounted there (a name given to `wasiImports`); defaults to the image's files. */
  source?: string;
}

export interface WasiStateOptions {
  args: readonly string[];
  env: ReadonlyArray<readonly [string, string]>;
  /** The bytes the guest reads from stdin; absent: the host's live stdin if `wasiImports` got one, else EOF. */
  stdin?: Uint8Array;
  /** Read-only directories preopened as fds 3, 4, …, in this order. */
  mounts?: readonly WasiMount[];
  /** Streams attached to a terminal, so the guest's isatty() answers as it would natively. */
  terminals?: ReadonlyArray<0 | 1 | 2>;
}

/** proc_exit: unwinds the guest's stack out to whoever called into the instance. */
export class WasiExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`the instance exited with code ${code}`);
    this.name = 'WasiExit';
    this.code = code;
  }
}

export function newWasiState(opts: WasiStateOptions): WasiState {
  const terminals = opts.terminals ?? [];
  const stream = (n: 0 | 1 | 2): StdioFd => ({
    kind: 'stdio',
    stream: n,
    // A pipe has no preview1 file type; UNKNOWN is what wasmtime reports for one too.
    filetype: terminals.includes(n) ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN,
    rights: (n === 0 ? Rights.FD_READ : Rights.FD_WRITE) | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET | Rights.POLL_FD_READWRITE,
    flags: 0,
  });
  const fds: FdEntry[] = [stream(0), stream(1), stream(2)];
  for (const mount of opts.mounts ?? []) {
    fds.push({
      kind: 'directory',
      source: mount.source ?? IMAGE_SOURCE,
      path: '',
      preopen: mount.guestPath,
      rights: DIRECTORY_RIGHTS,
      // Every right is inheritable so that wasi-libc asks for write access when the program does,
      // and path_open can answer EROFS as a read-only mount does natively (not a vague ENOTCAPABLE).
      inheriting: ALL_RIGHTS,
      flags: 0,
    });
  }
  return {
    args: [...opts.args],
    env: opts.env.map(([k, v]) => `${k}=${v}`),
    // A plain Uint8Array view (not a Buffer subclass), so a clone of the state equals the state.
    stdin: { bytes: opts.stdin ? new Uint8Array(opts.stdin.buffer, opts.stdin.byteOffset, opts.stdin.length) : null, offset: 0 },
    fds,
    exitCode: null,
  };
}

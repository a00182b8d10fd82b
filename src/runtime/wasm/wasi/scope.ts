/**
 * What every WASI host function needs, built once per compiled module: the ContextRef that says
 * which instance is being served, views on its memory, and the file trees and live stdin of the host.
 */
import type { ContextRef, InstanceContext } from '../host-context.js';
import type { FileSource } from './files.js';
import { GuestMemory } from './guest-memory.js';
import { IMAGE_SOURCE, type FdEntry } from './state.js';

/** Reads the host's live stdin into `into`; returns the byte count, 0 at end of input. Blocks. */
export type StdinReader = (into: Uint8Array) => number;

/** File trees by name (what `WasiMount.source` names), or one tree: the image's files. */
export type WasiFiles = FileSource | ReadonlyMap<string, FileSource>;

export class CallScope {
  readonly memory = new GuestMemory();
  readonly stdin: StdinReader | undefined;
  private readonly ref: ContextRef;
  private readonly files: ReadonlyMap<string, FileSource>;

  constructor(ref: ContextRef, files: WasiFiles | undefined, stdin: StdinReader | undefined) {
    this.ref = ref;
    this.stdin = stdin;
    if (files === undefined) this.files = new Map();
    else if (isFileSource(files)) this.files = new Map([[IMAGE_SOURCE, files]]);
    else this.files = files;
  }

  /** The instance being served, with `memory` pointed at its current buffer. */
  enter(): InstanceContext {
    const ctx = this.ref.current;
    if (ctx === null) {
      throw new Error('a WASI function was called with no instance in ContextRef.current: set it before calling into wasm');
    }
    this.memory.attach(ctx.memory);
    return ctx;
  }

  /** The open file description behind a guest fd (which arrives as a signed i32). */
  fd(ctx: InstanceContext, fd: number): FdEntry | null {
    return ctx.wasi.fds[fd >>> 0] ?? null;
  }

  source(name: string): FileSource | undefined {
    return this.files.get(name);
  }
}

function isFileSource(files: WasiFiles): files is FileSource {
  return typeof (files as FileSource).stat === 'function' && typeof (files as FileSource).read === 'function';
}

/**
 * The `wasi_snapshot_preview1` import object. Built once per compiled module; each function finds the
 * instance it serves in `ref.current`, so spawning an instance creates no closures. Every preview1
 * function is present (a module linked against all of wasi-libc instantiates), those flick has no
 * use for answer with an errno.
 */
import type { ContextRef } from '../host-context.js';
import { fdCalls } from './calls-fd.js';
import { pathCalls } from './calls-path.js';
import { processCalls } from './calls-process.js';
import { CallScope, type StdinReader, type WasiFiles } from './scope.js';

export type { StdinReader, WasiFiles } from './scope.js';

/**
 * @param files the trees mounts name (a lone FileSource is the image's files, named `image`)
 * @param stdin the host's live stdin, read when an instance's state carries no stdin bytes
 */
export function wasiImports(ref: ContextRef, files?: WasiFiles, stdin?: StdinReader): Record<string, Function> {
  const scope = new CallScope(ref, files, stdin);
  return { ...processCalls(scope), ...fdCalls(scope), ...pathCalls(scope) };
}

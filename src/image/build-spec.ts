/**
 * The `build` section of `flick.json`: how to produce the app's code. It is read only by
 * `flick build` and never embedded in the image (the image holds the result).
 */
import { FieldReader, orDefault } from './field-reader.js';
import { filePathProblem } from './file-tree.js';
import type { Manifest } from './manifest.js';

/** AssemblyScript's runtime variants (`asc --runtime`): GC and allocator included in the module. */
export type AscRuntime = 'incremental' | 'minimal' | 'stub';

export type BuildSpec =
  | { kind: 'assemblyscript'; entry: string; runtime: AscRuntime; files?: string }
  /** A ready wasm module at `path`, optionally produced first by `command` (argv, run in the app directory). */
  | { kind: 'wasm'; path: string; command?: string[]; files?: string }
  /** A JS/TS module bundled by esbuild into one ES module. */
  | { kind: 'js'; entry: string; files?: string };

const COMMON = ['kind', 'files'];
const KINDS = ['assemblyscript', 'wasm', 'js'] as const;
const MAX_COMMAND_ARGS = 64;

export function readBuildSpec(raw: unknown): BuildSpec {
  const read = new FieldReader('build');
  if (raw === undefined) read.fail('build', 'is missing', 'add "build": { "kind": "assemblyscript", "entry": "assembly/index.ts" } (or kind "wasm" / "js")');
  const probe = read.object(raw, 'build', ['entry', 'runtime', 'path', 'command', ...COMMON]);
  const kind = read.choice(probe.kind, 'build.kind', KINDS);
  const appPath = (value: unknown, path: string): string => readAppPath(read, value, path);
  let spec: BuildSpec;
  switch (kind) {
    case 'assemblyscript': {
      const fields = read.object(raw, 'build', ['entry', 'runtime', ...COMMON]);
      const runtime = read.choice(orDefault(fields.runtime, 'incremental'), 'build.runtime', ['incremental', 'minimal', 'stub'] as const);
      spec = { kind, entry: appPath(fields.entry, 'build.entry'), runtime };
      break;
    }
    case 'wasm': {
      const fields = read.object(raw, 'build', ['path', 'command', ...COMMON]);
      spec = { kind, path: appPath(fields.path, 'build.path') };
      if (fields.command !== undefined) spec.command = readCommand(read, fields.command);
      break;
    }
    case 'js': {
      const fields = read.object(raw, 'build', ['entry', ...COMMON]);
      spec = { kind, entry: appPath(fields.entry, 'build.entry') };
      break;
    }
  }
  if (probe.files !== undefined) spec.files = appPath(probe.files, 'build.files');
  return spec;
}

/** A JS build needs the JS runtime and the others the wasm runtime. */
export function checkBuildMatchesRuntime(spec: BuildSpec, manifest: Manifest): void {
  const wanted = spec.kind === 'js' ? 'js' : 'wasm';
  if (manifest.runtime !== wanted) {
    new FieldReader('build').fail('runtime', `is "${manifest.runtime}" but build.kind "${spec.kind}" produces ${wanted} code`, `set "runtime": "${wanted}" or remove it`);
  }
}

/** A path inside the app directory, written relative and with `/`, so the build reads the same files on any machine. */
function readAppPath(read: FieldReader, value: unknown, path: string): string {
  const hint = 'write a path relative to the app directory, with "/" and without ".." (e.g. "assembly/index.ts")';
  if (typeof value !== 'string') read.fail(path, value === undefined ? 'is missing' : 'must be a string', hint);
  const problem = filePathProblem(value);
  if (problem) read.fail(path, problem, hint);
  return value;
}

function readCommand(read: FieldReader, value: unknown): string[] {
  const hint = 'write the command as a list of arguments, e.g. ["clang-14", "--target=wasm32-wasi", "-O2", "-o", "app.wasm", "app.c"]';
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_COMMAND_ARGS) {
    read.fail('build.command', `must be a list of 1 to ${MAX_COMMAND_ARGS} strings`, hint);
  }
  value.forEach((arg, i) => {
    if (typeof arg !== 'string' || arg.length === 0 || arg.includes('\0')) read.fail(`build.command[${i}]`, 'must be a non-empty string', hint);
  });
  return value as string[];
}

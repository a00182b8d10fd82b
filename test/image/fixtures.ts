/**
 * Shared test inputs for the image layer: fixture apps copied to throw-away directories (so builds
 * never write into the repository), small wasm modules from WAT, and a valid manifest to vary.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';
import { IMAGE_MAGIC } from '../../src/image/format.js';
import { validateManifest, type Manifest } from '../../src/image/manifest.js';

export const FIXTURES_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const REPOSITORY_DIR = fileURLToPath(new URL('../../', import.meta.url));

const scratchDirs: string[] = [];

/** Copies `source` (a fixture name or an absolute directory) into a new temporary directory and returns the copy. */
export async function copyApp(source: string, label = 'app'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `flick-image-${label}-`));
  scratchDirs.push(root);
  const dir = join(root, label);
  await cp(source.startsWith('/') ? source : join(FIXTURES_DIR, source), dir, {
    recursive: true,
    // Earlier builds of an example may have left outputs behind; a build never reads them.
    filter: (path) => !path.endsWith('/build'),
  });
  return dir;
}

/** Writes a throw-away app directory from `{ relative path: contents }`; objects are written as JSON. */
export async function writeApp(files: Record<string, string | object>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flick-image-app-'));
  scratchDirs.push(dir);
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), typeof contents === 'string' ? contents : JSON.stringify(contents));
  }
  return dir;
}

export async function removeScratchDirs(): Promise<void> {
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function watToWasm(source: string): Promise<Uint8Array> {
  const module = (await wabt()).parseWat('fixture.wat', source);
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** A small reactor-shaped module: one import, a handler, a memory. */
export const REACTOR_WAT = `(module
  (import "flick" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "flick_handle") (call $log (i32.const 1) (i32.const 0) (i32.const 0))))`;

export function sampleManifest(overrides: Record<string, unknown> = {}): Manifest {
  return validateManifest({ name: 'sample', version: '1.0.0', ...overrides }, 'load');
}

/** A section as written by `assemble`: id, payload, and the length to declare (the payload's own by default). */
export type RawSection = [id: number, payload: Uint8Array, declaredLength?: number];

/** Writes an image header and sections exactly as given, valid or not, for tests that craft hostile images. */
export function assemble(sections: RawSection[], version = 1): Uint8Array {
  const body: Uint8Array[] = [];
  for (const [id, payload, declaredLength] of sections) body.push(Uint8Array.of(id), u32(declaredLength ?? payload.length), payload);
  const size = IMAGE_MAGIC.length + 8 + body.reduce((sum, part) => sum + part.length, 0);
  return new Uint8Array(Buffer.concat([IMAGE_MAGIC, u32(version), u32(size), ...body]));
}

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

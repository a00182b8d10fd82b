/**
 * Fixture apps for the end-to-end benchmarks (and the neighbours test): WAT sources in
 * `bench/fixtures/`, compiled with wabt and wrapped into flick images with a manifest, ready to
 * deploy through the control API. Also examples/hello rebuilt with another greeting (deploy bench),
 * and JS apps built from a source text the way `flick build` builds one (js bench).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { encodeImage } from '../src/image/format.js';
import { validateManifest } from '../src/image/manifest.js';
import { buildImage } from '../src/image/build.js';
import { examplesDir, installRoot } from '../src/host/install-root.js';

const fixturesDir = join(installRoot, 'bench', 'fixtures');
const wabt = await wabtInit();

export interface FixtureManifest {
  name: string;
  resources: { memoryMiB: number; cpuMsPerCall: number; deadlineMs: number };
  instances?: Record<string, unknown>;
  capabilities?: Record<string, unknown>;
  hibernate?: { idleMs: number };
}

/** An image of `bench/fixtures/<file>.wat` with the given manifest (flick ABI). */
export function watImage(file: string, manifest: FixtureManifest): Uint8Array {
  const source = readFileSync(join(fixturesDir, `${file}.wat`), 'utf8');
  const code = wabt.parseWat(`${file}.wat`, source).toBinary({}).buffer;
  const m = validateManifest({ version: '1.0.0', runtime: 'wasm', abi: 'flick', ...manifest }, 'build');
  return encodeImage({ manifest: m, code });
}

/** Runs `body` in a new temporary directory, removed afterwards. */
async function inTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** examples/hello with its greeting replaced by `greeting` (and its version by `version`), built in a temp dir. */
export function helloVariant(greeting: string, version: string): Promise<Uint8Array> {
  return inTempDir('flick-hello-', async (dir) => {
    cpSync(join(examplesDir, 'hello'), dir, { recursive: true, filter: (src) => !src.includes(`${join('hello', 'build')}`) });
    const entry = join(dir, 'assembly', 'index.ts');
    const source = readFileSync(entry, 'utf8');
    if (!source.includes('hello from flick')) throw new Error('examples/hello no longer says "hello from flick": update the deploy bench');
    writeFileSync(entry, source.replace('hello from flick', greeting));
    const manifestFile = join(dir, 'flick.json');
    writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, 'utf8')), version }, null, 2));
    return (await buildImage(dir)).bytes;
  });
}

/**
 * A JS app image: `source` (an ES module with a Workers-style default export) as `src/index.js`
 * beside a flick.json with `manifest` and `build.kind` "js", built by `flick build`'s own code
 * (esbuild bundle) in a temp dir.
 */
export function jsImage(source: string, manifest: Record<string, unknown> & { name: string }): Promise<Uint8Array> {
  return inTempDir('flick-js-', async (dir) => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'index.js'), source);
    writeFileSync(join(dir, 'flick.json'), JSON.stringify({ version: '1.0.0', ...manifest, build: { kind: 'js', entry: 'src/index.js' } }));
    return (await buildImage(dir)).bytes;
  });
}

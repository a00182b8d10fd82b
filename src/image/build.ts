/**
 * `flick build`: app directory → image bytes. Reproducible by construction: every input is read
 * relative to the app directory, compilers run with pinned flags, and the image format has no
 * timestamps or host paths, so the same source gives the same bytes (and id) anywhere.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readBuildSpec, checkBuildMatchesRuntime, type BuildSpec } from './build-spec.js';
import { compileAssemblyScript } from './compile/assemblyscript.js';
import { bundleJs } from './compile/js-bundle.js';
import { produceWasm } from './compile/wasm-command.js';
import { BuildError, ImageError } from './errors.js';
import { decodeImage, encodeImage, type Image } from './format.js';
import type { NodeLimits } from './limits.js';
import { validateManifest, type Manifest } from './manifest.js';
import { readStaticFiles } from './static-files.js';

const APP_FILE = 'flick.json';

export interface AppConfig {
  manifest: Manifest;
  build: BuildSpec;
}

export interface BuildOptions {
  /** Also check the result against a node's limits, so a build fails early instead of at deploy. */
  limits?: NodeLimits;
}

export interface BuiltImage {
  id: string;
  bytes: Uint8Array;
  manifest: Manifest;
}

/** Reads and validates `DIR/flick.json`. */
export async function readAppConfig(dir: string): Promise<AppConfig> {
  const file = join(dir, APP_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new BuildError('no_app_file', `${file} does not exist`, 'pass an app directory: one holding a flick.json (see docs/image-format.md)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BuildError('bad_app_file', `${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, 'fix the JSON syntax (quotes around names, no trailing commas)');
  }
  const manifest = validateManifest(raw, 'build');
  const build = readBuildSpec((raw as Record<string, unknown>).build);
  checkBuildMatchesRuntime(build, manifest);
  return { manifest, build };
}

export async function buildImage(dir: string, options: BuildOptions = {}): Promise<BuiltImage> {
  const appDir = resolve(dir);
  const { manifest, build } = await readAppConfig(appDir);
  const code = await produceCode(appDir, build);
  const files = build.files === undefined ? undefined : await readStaticFiles(appDir, build.files);
  const bytes = encodeImage({ manifest, code, files });
  const image = decodeBuilt(bytes, build, options.limits);
  return { id: image.id, bytes, manifest: image.manifest };
}

/** Decoding what was just written checks the code (wasm validation) and limits exactly as a node will. */
function decodeBuilt(bytes: Uint8Array, build: BuildSpec, limits: NodeLimits | undefined): Image {
  try {
    return decodeImage(bytes, limits);
  } catch (e) {
    if (!(e instanceof ImageError && e.code === 'bad_code')) throw e;
    const source = build.kind === 'wasm' ? `build.path "${build.path}"` : `the compiled ${build.entry}`;
    throw new BuildError('bad_output', `${source} is not valid code for the ${build.kind === 'js' ? 'js' : 'wasm'} runtime: ${e.message}`, build.kind === 'wasm' ? 'point build.path at the .wasm file your toolchain writes' : e.hint);
  }
}

function produceCode(appDir: string, build: BuildSpec): Promise<Uint8Array> {
  switch (build.kind) {
    case 'assemblyscript':
      return compileAssemblyScript(appDir, build.entry, build.runtime);
    case 'wasm':
      return produceWasm(appDir, build.path, build.command);
    case 'js':
      return bundleJs(appDir, build.entry);
  }
}

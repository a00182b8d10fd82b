#!/usr/bin/env node
// Builds every app in examples/: its module to examples/NAME/build/NAME.wasm (what the runtime
// tests load) and, once `flick build` is compiled (dist/), its image to examples/NAME/build/NAME.flick.
// Usage: node scripts/build-examples.mjs [NAME ...]
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileAssemblyScript } from '../sdk/compile.mjs';

const EXAMPLES_DIR = 'examples';
const IMAGE_BUILDER = 'dist/src/image/build.js';

async function buildWasm(dir, name) {
  const config = JSON.parse(await readFile(join(dir, 'flick.json'), 'utf8'));
  if (config.build?.kind !== 'assemblyscript') return null;
  const { wasm } = await compileAssemblyScript({ appDir: dir, entry: config.build.entry, runtime: config.build.runtime });
  const out = join(dir, 'build', `${name}.wasm`);
  await writeFile(out, wasm);
  return `${out} (${wasm.length} bytes)`;
}

async function buildImage(builder, dir, name) {
  const { id, bytes } = await builder.buildImage(dir);
  const out = join(dir, 'build', `${name}.flick`);
  await writeFile(out, bytes);
  return `${out} ${id}`;
}

const wanted = process.argv.slice(2);
const names = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(EXAMPLES_DIR, e.name, 'flick.json')))
  .map((e) => e.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
const builder = existsSync(IMAGE_BUILDER) ? await import(pathToFileURL(IMAGE_BUILDER).href) : null;
if (!builder) console.error(`build-examples: ${IMAGE_BUILDER} not found (run npm run build); building modules only`);

let failed = 0;
for (const name of names) {
  const dir = join(EXAMPLES_DIR, name);
  try {
    await mkdir(join(dir, 'build'), { recursive: true });
    const wasm = await buildWasm(dir, name);
    if (wasm) console.error(`build-examples: ${wasm}`);
    if (builder) console.error(`build-examples: ${await buildImage(builder, dir, name)}`);
  } catch (e) {
    failed++;
    console.error(`build-examples: ${name} failed: ${e?.stack ?? e}`);
    if (e?.hint) console.error(`  hint: ${e.hint}`);
  }
}
process.exit(failed ? 1 : 0);

import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildImage } from '../../src/image/build.js';
import { BuildError, ManifestError, type BuildErrorCode } from '../../src/image/errors.js';
import { decodeImage } from '../../src/image/format.js';
import { DEFAULT_NODE_LIMITS } from '../../src/image/limits.js';
import { copyApp, removeScratchDirs, REPOSITORY_DIR, writeApp } from './fixtures.js';

/** Builds `source` copied into two differently named directories and asserts the images are byte-identical. */
async function buildTwice(source: string): Promise<Awaited<ReturnType<typeof buildImage>>> {
  const first = await buildImage(await copyApp(source, 'first'));
  const second = await buildImage(await copyApp(source, 'second-copy'));
  assert.equal(first.id, second.id);
  assert.deepEqual(first.bytes, second.bytes);
  return first;
}

async function buildFails(dir: string, code: BuildErrorCode): Promise<BuildError> {
  try {
    await buildImage(dir);
  } catch (e) {
    assert.ok(e instanceof BuildError, `expected BuildError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.hint.length > 0);
    return e;
  }
  assert.fail(`expected the build to fail with ${code}`);
}

function moduleImports(code: Uint8Array): string[] {
  return WebAssembly.Module.imports(new WebAssembly.Module(code)).map((i) => `${i.module}.${i.name}`);
}

function moduleExports(code: Uint8Array): string[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(code)).map((e) => e.name);
}

describe('buildImage', () => {
  after(removeScratchDirs);

  it('builds an example AssemblyScript app to the same bytes in two directories', async () => {
    const built = await buildTwice(join(REPOSITORY_DIR, 'examples', 'hello'));
    const image = decodeImage(built.bytes, DEFAULT_NODE_LIMITS);
    assert.equal(image.id, built.id);
    assert.equal(image.manifest.name, 'hello');
    assert.ok(moduleImports(image.code).every((name) => name.startsWith('flick.')), 'the SDK maps every import to module "flick"');
    assert.ok(moduleExports(image.code).includes('flick_handle'));
  });

  it('builds a self-contained AssemblyScript app with its static files and chosen runtime', async () => {
    const built = await buildImage(await copyApp('as-app'));
    const image = decodeImage(built.bytes);
    assert.deepEqual(image.manifest.instances, { mode: 'per-key', key: { from: 'header', name: 'x-tenant' }, max: 100_000 });
    assert.deepEqual([...image.files.keys()], ['css/site.css', 'index.html']);
    assert.equal(new TextDecoder().decode(image.files.get('css/site.css')), 'body { margin: 0 }\n');
    const exports = moduleExports(image.code);
    assert.ok(exports.includes('flick_handle') && exports.includes('callCount'));
    // AssemblyScript keeps its runtime's source names (UTF-16) for abort messages: they tell which runtime was linked.
    const code = Buffer.from(image.code);
    assert.ok(code.includes(Buffer.from('~lib/rt/stub', 'utf16le')), 'build.runtime "stub" is used');
    assert.ok(!code.includes(Buffer.from('~lib/rt/itcms', 'utf16le')), 'the default incremental GC is not linked');
  });

  it('builds a C app with its own command to the same bytes in two directories', async () => {
    const built = await buildTwice('c-app');
    assert.equal(built.manifest.abi, 'wagi');
    assert.ok(moduleImports(decodeImage(built.bytes).code).some((name) => name.startsWith('wasi_snapshot_preview1.')));
  });

  it('bundles a JS app into one ES module, the same in two directories', async () => {
    const built = await buildTwice('js-app');
    const code = new TextDecoder().decode(decodeImage(built.bytes).code);
    assert.equal(built.manifest.runtime, 'js');
    assert.match(code, /hello, \$\{name\}/);
    assert.match(code, /export \{/);
    assert.doesNotMatch(code, /flick-image-|\/tmp\//, 'no host paths in the bundle');
  });

  it('refuses a directory without flick.json, or with broken JSON', async () => {
    await buildFails(await writeApp({}), 'no_app_file');
    await buildFails(await writeApp({ 'flick.json': '{ "name": "x", }' }), 'bad_app_file');
  });

  it('refuses an invalid manifest or build section, naming the field', async () => {
    const wrong = async (manifest: object, path: string): Promise<void> => {
      await assert.rejects(buildImage(await writeApp({ 'flick.json': manifest })), (e: unknown) => e instanceof ManifestError && e.path === path);
    };
    await wrong({ name: 'x', version: '1.0.0', resources: { memoryMiB: 0 }, build: { kind: 'wasm', path: 'a.wasm' } }, 'resources.memoryMiB');
    await wrong({ name: 'x', version: '1.0.0', build: { kind: 'wasm' } }, 'build.path');
    await wrong({ name: 'x', version: '1.0.0', runtime: 'wasm', build: { kind: 'js', entry: 'a.ts' } }, 'runtime');
  });

  it('refuses an app asking for more than the given node limits', async () => {
    const dir = await copyApp('c-app');
    await assert.rejects(buildImage(dir, { limits: { ...DEFAULT_NODE_LIMITS, maxDeadlineMs: 10 } }), (e: unknown) => e instanceof ManifestError && e.code === 'exceeds_node_limit');
  });

  it('reports compile errors with the file they are in', async () => {
    const dir = await writeApp({
      'flick.json': { name: 'broken', version: '1.0.0', build: { kind: 'assemblyscript', entry: 'assembly/index.ts' } },
      'assembly/index.ts': 'export function f(): i32 { return "not a number"; }\n',
    });
    assert.match((await buildFails(dir, 'compile_failed')).message, /assembly\/index\.ts/);
    const js = await writeApp({ 'flick.json': { name: 'broken', version: '1.0.0', build: { kind: 'js', entry: 'index.ts' } }, 'index.ts': 'export default {\n' });
    assert.match((await buildFails(js, 'compile_failed')).message, /index\.ts:\d+/);
  });

  it('reports a failing, missing or useless build command', async () => {
    const app = (command: string[] | undefined, extra: Record<string, string> = {}): Promise<string> =>
      writeApp({ 'flick.json': { name: 'c', version: '1.0.0', build: { kind: 'wasm', path: 'app.wasm', ...(command ? { command } : {}) } }, ...extra });
    assert.match((await buildFails(await app(['sh', '-c', 'echo boom >&2; exit 3']), 'command_failed')).message, /exited with code 3:\nboom/);
    await buildFails(await app(['no-such-compiler-for-flick']), 'command_failed');
    await buildFails(await app(['true']), 'missing_output');
    await buildFails(await app(undefined, { 'app.wasm': 'not wasm' }), 'bad_output');
  });

  it('refuses static files that would make the image depend on the machine', async () => {
    const manifest = { name: 's', version: '1.0.0', build: { kind: 'js', entry: 'index.js', files: 'static' } };
    const dir = await writeApp({ 'flick.json': manifest, 'index.js': 'export default {};\n', 'static/a.txt': 'a' });
    await symlink('/etc/hostname', join(dir, 'static', 'link'));
    await buildFails(dir, 'bad_files_dir');
    await buildFails(await writeApp({ 'flick.json': manifest, 'index.js': 'export default {};\n' }), 'bad_files_dir');
  });
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { imageId } from '../../src/image/format.js';
import { copyApp, removeScratchDirs, writeApp } from './fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `flick ARGS` in this process through the real entry point (command registry, error
 * reporting, exit codes), capturing what it writes. In-process because loading the whole CLI costs
 * seconds per child process on this machine.
 */
async function flick(...args: string[]): Promise<Run> {
  const written = { stdout: '', stderr: '' };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const stream of ['stdout', 'stderr'] as const) {
    process[stream].write = ((chunk: string | Uint8Array): boolean => {
      written[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const code = await main(args);
    return { code, ...written };
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
}

describe('flick build and flick inspect', () => {
  let app: string;
  let built: Run;
  before(async () => {
    app = await copyApp('c-app');
    built = await flick('build', app);
  });
  after(removeScratchDirs);

  it('build prints only the image id and writes DIR/build/NAME.flick', async () => {
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const file = join(app, 'build', 'c-app.flick');
    assert.equal(imageId(await readFile(file)), built.stdout.trim());
  });

  it('build -o --json reports the id, file, size, name and version', async () => {
    const file = join(app, 'out', 'x.flick');
    const run = await flick('build', app, '-o', file, '--json');
    assert.equal(run.code, 0, run.stderr);
    const bytes = await readFile(file);
    assert.deepEqual(JSON.parse(run.stdout), { id: built.stdout.trim(), file, bytes: bytes.length, name: 'c-app', version: '0.1.0' });
  });

  it('inspect prints the manifest and the module imports and exports', async () => {
    const run = await flick('inspect', join(app, 'build', 'c-app.flick'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`image +${built.stdout.trim()}`));
    assert.match(run.stdout, /"abi": "wagi"/);
    assert.match(run.stdout, /imports +\d+\n +wasi_snapshot_preview1\.\w+ +function/);
    assert.match(run.stdout, /exports +\d+\n(.*\n)* +_start +function/);
  });

  it('inspect --json gives the same facts as one object', async () => {
    const run = await flick('inspect', join(app, 'build', 'c-app.flick'), '--json');
    assert.equal(run.code, 0, run.stderr);
    const facts = JSON.parse(run.stdout);
    assert.equal(facts.id, built.stdout.trim());
    assert.equal(facts.manifest.name, 'c-app');
    assert.ok(facts.code.imports.some((i: { module: string }) => i.module === 'wasi_snapshot_preview1'));
    assert.ok(facts.code.exports.some((e: { name: string }) => e.name === '_start'));
    assert.deepEqual(facts.files, []);
  });

  it('explains failures in one sentence with a hint, and exits 1', async () => {
    const notAnApp = await flick('build', await writeApp({}));
    assert.equal(notAnApp.code, 1);
    assert.equal(notAnApp.stdout, '');
    assert.match(notAnApp.stderr, /^flick: .*flick\.json does not exist\n  hint: .+\n$/);

    const badManifest = await flick('build', await writeApp({ 'flick.json': { name: 'x', version: '1.0.0', resources: { memoryMiB: 99999 }, build: { kind: 'wasm', path: 'a.wasm' } } }));
    assert.equal(badManifest.code, 1);
    assert.match(badManifest.stderr, /^flick: flick\.json: resources\.memoryMiB must be a whole number between 1 and 4096, got 99999\n  hint: use a whole number between 1 and 4096\n$/);

    const garbage = join(app, 'garbage.flick');
    await writeFile(garbage, 'not an image');
    const inspected = await flick('inspect', garbage);
    assert.equal(inspected.code, 1);
    assert.match(inspected.stderr, /^flick: the file is not a flick image \(wrong magic bytes\)\n  hint: /);

    const missing = await flick('inspect', join(app, 'nothing-here.flick'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nothing-here\.flick \(ENOENT\)/);
    assert.ok(!existsSync(join(app, 'nothing-here.flick')));
  });
});

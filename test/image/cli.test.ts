import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { imageId } from '../../src/image/format.js';
import { copyApp, removeScratchDirs, REPOSITORY_DIR, writeApp } from './fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const MAIN_URL = new URL('../../src/cli/main.ts', import.meta.url).href;

/**
 * Runs several `flick` command lines, in order, through the real entry point (command registry,
 * error reporting, exit codes) in one child process: loading the whole CLI costs seconds per
 * process on this machine, and a child keeps the captured output apart from the test reporter's.
 */
async function flickSession(commandLines: string[][]): Promise<Run[]> {
  const script = `
    import { main } from ${JSON.stringify(MAIN_URL)};
    const runs = [];
    const original = { stdout: process.stdout.write, stderr: process.stderr.write };
    for (const args of ${JSON.stringify(commandLines)}) {
      const run = { code: 0, stdout: '', stderr: '' };
      process.stdout.write = (chunk) => { run.stdout += chunk; return true; };
      process.stderr.write = (chunk) => { run.stderr += chunk; return true; };
      process.exitCode = undefined;
      try { run.code = await main(args); } finally { Object.assign(process.stdout, { write: original.stdout }); Object.assign(process.stderr, { write: original.stderr }); }
      runs.push(run);
    }
    process.exitCode = 0;
    process.stdout.write(JSON.stringify(runs));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPOSITORY_DIR, maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as Run[];
}

describe('flick build and flick inspect', () => {
  let app: string;
  let runs: Record<'build' | 'buildJson' | 'inspect' | 'inspectJson' | 'notAnApp' | 'badManifest' | 'garbage' | 'missing', Run>;
  const file = (): string => join(app, 'build', 'c-app.flick');
  const jsonFile = (): string => join(app, 'out', 'x.flick');

  before(async () => {
    app = await copyApp('c-app');
    const notAnApp = await writeApp({});
    const badManifest = await writeApp({ 'flick.json': { name: 'x', version: '1.0.0', resources: { memoryMiB: 99999 }, build: { kind: 'wasm', path: 'a.wasm' } } });
    await writeFile(join(app, 'garbage.flick'), 'not an image');
    const [build, buildJson, inspect, inspectJson, notAnAppRun, badManifestRun, garbage, missing] = await flickSession([
      ['build', app],
      ['build', app, '-o', jsonFile(), '--json'],
      ['inspect', file()],
      ['inspect', file(), '--json'],
      ['build', notAnApp],
      ['build', badManifest],
      ['inspect', join(app, 'garbage.flick')],
      ['inspect', join(app, 'nothing-here.flick')],
    ]);
    runs = { build, buildJson, inspect, inspectJson, notAnApp: notAnAppRun, badManifest: badManifestRun, garbage, missing };
  });
  after(removeScratchDirs);

  it('build prints only the image id and writes DIR/build/NAME.flick', async () => {
    assert.equal(runs.build.code, 0, runs.build.stderr);
    assert.match(runs.build.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(imageId(await readFile(file())), runs.build.stdout.trim());
  });

  it('build -o --json reports the id, file, size, name and version', async () => {
    assert.equal(runs.buildJson.code, 0, runs.buildJson.stderr);
    const bytes = await readFile(jsonFile());
    assert.deepEqual(JSON.parse(runs.buildJson.stdout), { id: runs.build.stdout.trim(), file: jsonFile(), bytes: bytes.length, name: 'c-app', version: '0.1.0' });
  });

  it('inspect prints the manifest and the module imports and exports', () => {
    const { code, stdout, stderr } = runs.inspect;
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`image +${runs.build.stdout.trim()}`));
    assert.match(stdout, /"abi": "wagi"/);
    assert.match(stdout, /imports +\d+\n +wasi_snapshot_preview1\.\w+ +function/);
    assert.match(stdout, /exports +\d+\n(.*\n)* +_start +function/);
  });

  it('inspect --json gives the same facts as one object', () => {
    assert.equal(runs.inspectJson.code, 0, runs.inspectJson.stderr);
    const facts = JSON.parse(runs.inspectJson.stdout);
    assert.equal(facts.id, runs.build.stdout.trim());
    assert.equal(facts.manifest.name, 'c-app');
    assert.ok(facts.code.imports.some((i: { module: string }) => i.module === 'wasi_snapshot_preview1'));
    assert.ok(facts.code.exports.some((e: { name: string }) => e.name === '_start'));
    assert.deepEqual(facts.files, []);
  });

  it('explains failures in one sentence with a hint, exits 1 and prints nothing on stdout', () => {
    for (const run of [runs.notAnApp, runs.badManifest, runs.garbage, runs.missing]) {
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^flick: [^\n]+\n {2}hint: [^\n]+\n$/);
    }
    assert.match(runs.notAnApp.stderr, /flick\.json does not exist/);
    assert.match(runs.badManifest.stderr, /^flick: flick\.json: resources\.memoryMiB must be a whole number between 1 and 4096, got 99999\n {2}hint: use a whole number between 1 and 4096\n$/);
    assert.match(runs.garbage.stderr, /^flick: the file is not a flick image \(wrong magic bytes\)\n/);
    assert.match(runs.missing.stderr, /cannot read .*nothing-here\.flick \(ENOENT\)/);
  });
});

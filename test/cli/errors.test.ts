// Errors written for people, through the real binary (packages/flick-cli/flick.mjs → dist/): each
// failure is one sentence and a hint on stderr, exit 1 (failure) or 2 (usage), and no stack trace
// unless --debug. The node is in this process, so the CLI runs as an asynchronous child.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startNode, type TestNode } from '../support/daemon.js';

const BIN = resolve('packages/flick-cli/flick.mjs');
const built = existsSync(resolve('dist/src/cli/main.js'));
const skip = built ? false : 'dist/ is missing: run `npm run build` first to test the compiled CLI';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function flick(...args: string[]): Promise<Run> {
  // No FLICK_* from the environment: each case says exactly which server and token it uses.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLICK_')));
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** One sentence after "flick: ", then one hint line, and nothing that looks like a stack frame. */
function assertPlainError(r: Run, code: 1 | 2, sentence: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `two lines, sentence and hint: ${r.stderr}`);
  assert.match(lines[0], /^flick: /);
  assert.match(lines[0], sentence);
  assert.match(lines[1], /^ {2}hint: \S/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

let node: TestNode | undefined;
const dirs: string[] = [];
before(async () => {
  if (built) node = await startNode();
});
after(async () => {
  await node?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a wrong flag is a usage error (exit 2) with a hint', { skip }, async () => {
  assertPlainError(await flick('ps', '--nope'), 2, /unknown option '--nope'/);
  const typo = await flick('ps', '--jsn');
  assertPlainError(typo, 2, /unknown option '--jsn'/);
  assert.match(typo.stderr, /hint: Did you mean --json\?/);
  assertPlainError(await flick('rollback'), 2, /missing required argument 'app'/);
  assertPlainError(await flick('scale', 'pool', 'many', '--server', 'http://127.0.0.1:1'), 2, /replicas many is not a whole number/);
});

test('a missing app is a failure (exit 1) that names it', { skip }, async () => {
  assertPlainError(await flick('rollback', 'nope', '--server', node!.daemon.url, '--token', node!.daemon.token), 1, /nope/);
  assertPlainError(await flick('scale', 'nope', '2', '--server', node!.daemon.url, '--token', node!.daemon.token), 1, /no app named 'nope'/);
  assertPlainError(await flick('snapshot', 'nope-1', '--server', node!.daemon.url, '--token', node!.daemon.token), 1, /no instance nope-1/);
});

test('a bad manifest names the field', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flick-badapp-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'flick.json'), JSON.stringify({ name: 'bad', version: '1.0.0', runtime: 'wasm', instances: { mode: 'bogus' } }));
  assertPlainError(await flick('build', dir), 1, /instances\.mode/);
});

test('an unreachable server says it cannot reach it', { skip }, async () => {
  assertPlainError(await flick('ps', '--server', 'http://127.0.0.1:1'), 1, /cannot reach the flick node at http:\/\/127\.0\.0\.1:1/);
});

test('a refused token says so', { skip }, async () => {
  assertPlainError(await flick('gc', '--server', node!.daemon.url, '--token', 'not-the-token'), 1, /refused the token/);
});

test('--debug adds the stack trace', { skip }, async () => {
  const r = await flick('ps', '--server', 'http://127.0.0.1:1', '--debug');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^\s+at /m, 'a stack frame');
  assert.match(r.stderr, /flick: cannot reach/);
  const usage = await flick('ps', '--nope', '--debug');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^\s+at /m);
});

// flick doctor: each problem comes with the command that fixes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDataDir, checkMapCount, checkNode, checkPort } from '../../src/host/checks.js';

test('an old Node.js fails with how to upgrade', () => {
  const r = checkNode('18.19.0');
  assert.equal(r.status, 'fail');
  assert.match(r.fix!, /Node\.js 20\.11 or newer/);
  assert.equal(checkNode('20.11.0').status, 'ok');
});

test('a low vm.max_map_count warns with the instance cap it implies and the sysctl that lifts it', () => {
  const r = checkMapCount(65530);
  assert.equal(r.status, 'warn');
  assert.match(r.detail, /at most ~58,977 instances/);
  assert.match(r.fix!, /sysctl -w vm\.max_map_count=1048576/);
  assert.equal(checkMapCount(1048576).status, 'ok');
});

test('a port taken by something else fails with what to do; a free one is ok', async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  try {
    const busy = await checkPort(port);
    assert.equal(busy.status, 'fail');
    assert.match(busy.fix!, new RegExp(`--port ${port + 1}`));
  } finally {
    server.close();
  }
  assert.equal((await checkPort(port)).status, 'ok');
});

test('a data directory readable by others warns (it holds the token)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flick-doctor-'));
  try {
    chmodSync(dir, 0o755);
    const r = checkDataDir(dir);
    assert.equal(r.status, 'warn');
    assert.equal(r.fix, `chmod 700 ${dir}`);
    chmodSync(dir, 0o700);
    assert.equal(checkDataDir(dir).status, 'ok');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A replicas app's pool is an OTP supervisor (src/node/replica-pools.ts) over real instances on a
// real node: a crashed replica is started again at once, one_for_all restarts its siblings,
// one_for_one does not, past the restart intensity the pool fails with a clear 503 until a scale
// starts it again, and a shrinking pool stops its surplus replicas. The fixture is the
// AssemblyScript app test/fixtures/actors (x-op: crash | count), built here.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAssemblyScript } from '../../sdk/compile.mjs';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

const APP_DIR = join(import.meta.dirname, '..', 'fixtures', 'actors');
let wasm: Uint8Array;
let n: TestNode;
before(async () => {
  ({ wasm } = await compileAssemblyScript({ appDir: APP_DIR, entry: 'assembly/index.ts' }));
  n = await startNode();
});
after(async () => {
  await n?.stop();
});

function pool(name: string, count: number, supervision: Record<string, unknown>): Uint8Array {
  const base = JSON.parse(readFileSync(join(APP_DIR, 'flick.json'), 'utf8'));
  const manifest = validateManifest({ ...base, name, instances: { mode: 'replicas', count, supervision } }, 'build');
  return encodeImage({ manifest, code: wasm });
}

async function ask(app: string, op = 'count') {
  const res = await n.ask(app, '/', { headers: { 'x-op': op } });
  return { status: res.status, text: res.text, json: res.status === 200 ? (JSON.parse(res.text) as { self: string; count: number }) : null };
}

const replicas = (app: string) => [...n.daemon.node.table.all()].filter((r) => r.app === app && !r.retired);

/** Counts by replica after one request to each (requests go round robin). */
async function round(app: string, size: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < size; i++) {
    const r = await ask(app);
    assert.equal(r.status, 200, r.text);
    out[r.json!.self] = r.json!.count;
  }
  return out;
}

test('the pool starts every replica at once, and a crashed one is started again without waiting for a request', async () => {
  await n.deploy(pool('eager', 2, {}));
  await waitFor(() => replicas('eager').length === 2 && replicas('eager').every((r) => r.memoryBytes > 0));
  const crash = await ask('eager', 'crash');
  assert.equal(crash.status, 500, crash.text);
  await waitFor(() => replicas('eager').some((r) => r.restarts === 1 && r.memoryBytes > 0));
  assert.equal(replicas('eager').length, 2);
});

test('one_for_one: only the crashed replica starts over', async () => {
  await n.deploy(pool('solo', 3, { strategy: 'one_for_one', intensity: 10 }));
  await round('solo', 3);
  const before = await round('solo', 3);
  assert.deepEqual(Object.values(before), [2, 2, 2]);
  assert.equal((await ask('solo', 'crash')).status, 500);
  await waitFor(() => replicas('solo').every((r) => r.memoryBytes > 0));
  const after = Object.values(await round('solo', 3)).sort();
  assert.deepEqual(after, [1, 3, 3], 'the crashed replica restarted empty, the others kept their state');
});

test('one_for_all: a crash restarts every replica', async () => {
  await n.deploy(pool('all', 3, { strategy: 'one_for_all', intensity: 10 }));
  await round('all', 3);
  await round('all', 3);
  assert.equal((await ask('all', 'crash')).status, 500);
  await waitFor(() => replicas('all').length === 3 && replicas('all').every((r) => r.memoryBytes > 0));
  assert.deepEqual(Object.values(await round('all', 3)), [1, 1, 1], 'all three started over');
});

test('past its restart intensity the pool fails with 503 pool_failed; a scale starts it again', async () => {
  await n.deploy(pool('fragile', 1, { intensity: 2, periodS: 60 }));
  for (let i = 0; i < 3; i++) {
    const r = await ask('fragile', 'crash');
    assert.equal(r.status, 500, r.text);
    if (i < 2) await waitFor(() => replicas('fragile').some((x) => x.memoryBytes > 0));
  }
  await waitFor(async () => (await ask('fragile')).status === 503);
  const refused = await n.ask('fragile', '/');
  assert.equal(refused.status, 503);
  assert.match(refused.text, /pool_failed/);
  assert.match(refused.text, /ended more than 2 times in 60 s/);
  assert.match(refused.text, /flick scale fragile/);
  assert.equal((await n.api('POST', '/apps/fragile/scale', { replicas: 1 })).status, 200);
  await waitFor(async () => (await ask('fragile')).status === 200);
});

test('a pool scaled down stops its surplus replicas; scaled up, the new ones start at once', async () => {
  await n.deploy(pool('elastic', 3, {}));
  await waitFor(() => replicas('elastic').length === 3);
  assert.equal((await n.api('POST', '/apps/elastic/scale', { replicas: 1 })).status, 200);
  await waitFor(() => n.daemon.node.table.countOf('elastic') === 1);
  assert.deepEqual(replicas('elastic').map((r) => r.key), ['#0']);
  assert.equal((await n.api('POST', '/apps/elastic/scale', { replicas: 4 })).status, 200);
  await waitFor(() => replicas('elastic').length === 4 && replicas('elastic').every((r) => r.memoryBytes > 0));
});

test('the manifest checks supervision flags', () => {
  const base = { name: 'x', version: '1.0.0' };
  assert.throws(() => validateManifest({ ...base, instances: { mode: 'replicas', count: 2, supervision: { strategy: 'simple_one_for_one' } } }, 'image'), /instances\.supervision\.strategy/);
  assert.throws(() => validateManifest({ ...base, instances: { mode: 'replicas', count: 2, supervision: { periodS: 0 } } }, 'image'), /instances\.supervision\.periodS/);
  assert.deepEqual(validateManifest({ ...base, instances: { mode: 'replicas', count: 2 } }, 'image').instances, { mode: 'replicas', count: 2, supervision: { strategy: 'one_for_one', intensity: 5, periodS: 10 } });
});

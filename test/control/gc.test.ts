// Garbage collection: old releases are pruned by the retention rule, images no release refers to
// are deleted, and what routing needs (current, previous, canary) survives, so rollback still works.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, type TestNode } from '../support/daemon.js';
import { counterWat, watImage } from '../support/wat-apps.js';
import { blobId } from '../../src/control/blob-store.js';

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
});

const version = (v: number) => watImage(counterWat(`v${v}`), { name: 'gcapp', version: `1.0.${v}` });

test('gc keeps current, previous and the newest N releases, deletes unreferenced images, and rollback still works', async () => {
  const n = await startNode();
  nodes.push(n);
  const images = [1, 2, 3, 4, 5].map(version);
  for (const image of images) await n.deploy(image);
  assert.equal((await n.ask('gcapp')).text, 'v5:1');

  const first = await n.api('POST', '/gc', { keep: 1, graceSeconds: 0 });
  assert.equal(first.status, 200);
  assert.equal(first.json.releasesPruned, 3, 'releases 1-3 go; 4 (previous) and 5 (current, newest) stay');
  assert.equal(first.json.imagesDeleted, 3);
  assert.equal(first.json.bytesFreed, images.slice(0, 3).reduce((sum, i) => sum + i.length, 0));

  const app = await n.api('GET', '/apps/gcapp');
  assert.deepEqual(app.json.releases.map((r: { seq: number }) => r.seq), [4, 5]);
  for (const [i, image] of images.entries()) assert.equal(n.daemon.blobs.has(blobId(image)), i >= 3, `image of release ${i + 1}`);

  await n.daemon.engine.rollback('gcapp');
  assert.equal((await n.ask('gcapp')).text, 'v4:1', 'rollback to the kept previous release');

  const again = await n.api('POST', '/gc', { keep: 1, graceSeconds: 0 });
  assert.deepEqual(again.json, { releasesPruned: 0, imagesDeleted: 0, bytesFreed: 0 }, 'a second run finds nothing');

  // A new deploy numbers on from the newest release, never reusing a pruned number.
  const next = await n.deploy(version(6));
  assert.equal(next.to, 6);
});

test('gc spares a recently uploaded image that no release names yet (a deploy in progress)', async () => {
  const n = await startNode();
  nodes.push(n);
  const bytes = version(7);
  const id = n.daemon.blobs.put(bytes);
  const r = await n.api('POST', '/gc', {});
  assert.deepEqual(r.json, { releasesPruned: 0, imagesDeleted: 0, bytesFreed: 0 });
  assert.ok(n.daemon.blobs.has(id));
  const forced = await n.api('POST', '/gc', { graceSeconds: 0 });
  assert.equal(forced.json.imagesDeleted, 1);
  assert.ok(!n.daemon.blobs.has(id));
});

test('gc needs the token and checks its fields', async () => {
  const n = await startNode();
  nodes.push(n);
  assert.equal((await n.api('POST', '/gc', {}, null)).status, 401);
  const bad = await n.api('POST', '/gc', { keep: 0 });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /'keep'/);
});

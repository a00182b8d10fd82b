// Stateful upgrade (docs/abi.md, "State upgrade"): a deploy moves per-key instances to the new
// release through its flick_upgrade hook. examples/counter (v1: one i32) → test/fixtures/counter-v2
// (v2: a struct with an i64), and a v2 whose hook refuses one key's state.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAssemblyScript } from '../../sdk/compile.mjs';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';
import { startNode, type TestNode } from '../support/daemon.js';

const ROOT = join(import.meta.dirname, '..', '..');

async function image(appDir: string, entry = 'assembly/index.ts'): Promise<Uint8Array> {
  const manifest = validateManifest(JSON.parse(readFileSync(join(appDir, 'flick.json'), 'utf8')), 'build');
  const { wasm } = await compileAssemblyScript({ appDir, entry });
  return encodeImage({ manifest, code: wasm });
}

let v1: Uint8Array;
let v2: Uint8Array;
let picky: Uint8Array;
before(async () => {
  const v2Dir = join(ROOT, 'test', 'fixtures', 'counter-v2');
  [v1, v2, picky] = await Promise.all([image(join(ROOT, 'examples', 'counter')), image(v2Dir), image(v2Dir, 'assembly/picky.ts')]);
});

const nodes: TestNode[] = [];
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
});
async function node(): Promise<TestNode> {
  const n = await startNode();
  nodes.push(n);
  return n;
}

async function count(n: TestNode, key: string): Promise<{ count: number; v?: number; from?: string }> {
  const res = await n.ask('counter', '/', { headers: { 'flick-key': key } });
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text);
}

async function hit(n: TestNode, key: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await count(n, key);
}

test('counts survive v1 → v2 for live and hibernated keys; the deploy reports how many moved', async () => {
  const n = await node();
  await n.deploy(v1);
  await hit(n, 'a', 3);
  await hit(n, 'b', 5);
  await hit(n, 'sleepy', 2);
  const sleepy = [...n.daemon.node.table.all()].find((r) => r.key === 'sleepy')!;
  await n.daemon.node.hibernate(sleepy);
  assert.equal(sleepy.status, 'hibernated');

  const d = await n.deploy(v2);
  const phase = d.phases.find((p: { name: string }) => p.name === 'upgrade');
  assert.equal(phase.status, 'ok');
  assert.equal(phase.detail, '3 instances moved to release 2 by flick_upgrade');
  assert.equal(sleepy.status, 'hibernated', 'the old instance stays as it was, for a rollback');

  assert.deepEqual(await count(n, 'a'), { key: 'a', count: 4, v: 2, from: '1.0.0' });
  assert.deepEqual(await count(n, 'b'), { key: 'b', count: 6, v: 2, from: '1.0.0' });
  assert.deepEqual(await count(n, 'sleepy'), { key: 'sleepy', count: 3, v: 2, from: '1.0.0' });
  assert.deepEqual(await count(n, 'new'), { key: 'new', count: 1, v: 2, from: '' }, 'a key first seen after the deploy starts fresh');
});

test('a refusing hook leaves its key on v1, still counting; the deploy names it; rollback returns every key to v1', async () => {
  const n = await node();
  await n.deploy(v1);
  await hit(n, 'fine', 2);
  await hit(n, 'unlucky', 13);

  const d = await n.deploy(picky);
  assert.equal(d.status, 'succeeded', 'a failed upgrade does not stop the deploy');
  const phase = d.phases.find((p: { name: string }) => p.name === 'upgrade');
  assert.equal(phase.status, 'ok');
  assert.match(phase.detail, /^1 instance moved to release 2 by flick_upgrade; 1 stayed on release 1 — "unlucky": flick_upgrade refused the state of version 1\.0\.0 \(it returned 2\)/);

  assert.deepEqual(await count(n, 'fine'), { key: 'fine', count: 3, v: 2, from: '1.0.0' });
  assert.deepEqual(await count(n, 'unlucky'), { key: 'unlucky', count: 14 }, 'served by v1, its count intact');
  assert.deepEqual(await count(n, 'unlucky'), { key: 'unlucky', count: 15 });

  assert.equal((await n.api('POST', '/apps/counter/rollback', {})).status, 200);
  assert.deepEqual(await count(n, 'fine'), { key: 'fine', count: 3 }, 'the warm v1 instance, as it was at the upgrade');
  assert.deepEqual(await count(n, 'unlucky'), { key: 'unlucky', count: 16 });
});

test('a release without flick_upgrade starts its instances fresh, and the phase says why', async () => {
  const n = await node();
  await n.deploy(v1);
  await hit(n, 'a', 2);
  const d = await n.deploy(v1.slice(), { app: 'counter' });
  const phase = d.phases.find((p: { name: string }) => p.name === 'upgrade');
  assert.equal(phase.status, 'skipped');
  assert.match(phase.detail, /exports no flick_upgrade: its instances start fresh/);
});

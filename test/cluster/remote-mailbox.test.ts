// Messages between per-key instances held by different nodes (test/fixtures/actors): a send
// reaches the receiver on its own node, in order, and never starts a second copy of it on the
// sender's node; after the receiver moves, messages follow it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAssemblyScript } from '../../sdk/compile.mjs';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';
import type { TestNode } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';
import { allSee, etcdCluster, holderOf, instanceIdOf, ownerAmong } from '../support/cluster.js';

const APP_DIR = join(import.meta.dirname, '..', 'fixtures', 'actors');
const cluster = etcdCluster();

test('messages cross nodes to the key\'s instance, in order, without a second copy', { timeout: 120_000 }, async () => {
  const manifest = validateManifest(JSON.parse(readFileSync(join(APP_DIR, 'flick.json'), 'utf8')), 'build');
  const { wasm } = await compileAssemblyScript({ appDir: APP_DIR, entry: 'assembly/index.ts' });
  const a = await cluster.member('mb-a');
  const b = await cluster.member('mb-b');
  const members = new Map([['mb-a', a], ['mb-b', b]]);
  await allSee([a, b], 2);
  await a.deploy(encodeImage({ manifest, code: wasm }));
  const both = ['mb-a', 'mb-b'];
  const keys = Array.from({ length: 50 }, (_, i) => `actor-${i}`);
  const sender = keys.find((k) => ownerAmong('actors', k, both) === 'mb-a')!;
  const receiver = keys.find((k) => ownerAmong('actors', k, both) === 'mb-b')!;
  const op = async (via: TestNode, key: string, what: string, to = '', data = '') => {
    const res = await via.ask('actors', '/', { headers: { 'flick-key': key, 'x-op': what, 'x-to': to, 'x-data': data } });
    assert.equal(res.status, 200, res.text);
    return JSON.parse(res.text) as { self: string; inbox: string[] };
  };
  await waitFor(async () => (await b.ask('actors', '/', { headers: { 'flick-key': receiver, 'x-op': 'peek' } })).status === 200, 15_000);

  for (let i = 1; i <= 20; i++) await op(a, sender, 'send', receiver, `m${i}`);
  let inbox: string[] = [];
  await waitFor(async () => (inbox = (await op(a, receiver, 'peek')).inbox).length >= 20, 10_000).catch(() => assert.fail(`inbox: ${JSON.stringify(inbox)}`));
  assert.deepEqual(inbox, Array.from({ length: 20 }, (_, i) => `message|${sender}|m${i + 1}`), 'all twenty, in the order sent');
  assert.deepEqual(await holderOf(members, 'actors', receiver), ['mb-b'], 'the receiver runs on its owner only');
  assert.ok(a.daemon.dataPath!.mailbox.counters.sent >= 20);

  // The receiver moves to the sender's node: later messages follow it there.
  const id = await instanceIdOf(b, 'actors', receiver);
  assert.equal((await b.api('POST', `/instances/${id}/move`, { node: 'mb-a' })).status, 200);
  await op(b, sender, 'send', receiver, 'after-move');
  await waitFor(async () => (inbox = (await op(b, receiver, 'peek')).inbox).includes(`message|${sender}|after-move`), 10_000).catch(() => assert.fail(`inbox: ${JSON.stringify(inbox)}`));
  assert.equal(inbox.length, 21, 'the moved receiver kept its mailbox history');
  assert.deepEqual(await holderOf(members, 'actors', receiver), ['mb-a']);
});

// `flick scale` and `flick snapshot` through the control API: a replicas pool resized at run time
// (and still resized after a restart and a new deploy), and an instance hibernated on demand.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startNode, type TestNode } from '../support/daemon.js';
import { counterWat, watImage } from '../support/wat-apps.js';
import { waitFor } from '../support/wait.js';

const nodes: TestNode[] = [];
async function node(dataDir?: string): Promise<TestNode> {
  const n = await startNode({}, dataDir);
  nodes.push(n);
  return n;
}
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
});

const pool = (tag: string, count: number, version = '1.0.0') => watImage(counterWat(tag), { name: 'pool', version, instances: { mode: 'replicas', count } });
const instancesOf = async (n: TestNode, app: string) => (await n.api('GET', '/instances')).json.filter((i: { app: string }) => i.app === app);

test('scale resizes a replicas pool at run time; the count survives a restart and a new deploy', async () => {
  const n = await node();
  await n.deploy(pool('p', 1));
  for (let i = 0; i < 3; i++) await n.ask('pool');
  assert.equal((await instancesOf(n, 'pool')).length, 1);

  const r = await n.api('POST', '/apps/pool/scale', { replicas: 3 });
  assert.equal(r.status, 200);
  assert.equal(r.json.replicas, 3);
  for (let i = 0; i < 6; i++) await n.ask('pool');
  assert.equal((await instancesOf(n, 'pool')).length, 3, 'requests now spread over three instances');
  assert.equal((await n.api('GET', '/apps/pool')).json.replicas, 3);

  // Shrinking stops the replicas beyond the new size; the one left keeps serving.
  assert.equal((await n.api('POST', '/apps/pool/scale', { replicas: 1 })).status, 200);
  await waitFor(async () => (await instancesOf(n, 'pool')).length === 1);
  assert.deepEqual((await instancesOf(n, 'pool')).map((i: { key: string }) => i.key), ['#0']);
  for (let i = 0; i < 3; i++) assert.equal((await n.ask('pool')).status, 200);
  assert.equal((await instancesOf(n, 'pool')).length, 1);
  assert.equal((await n.api('POST', '/apps/pool/scale', { replicas: 3 })).status, 200);

  await n.stop({ keepData: true });
  const again = await node(n.dataDir);
  assert.equal(again.daemon.node.replicaCounts.get('pool'), 3, 'read back from the store at start');
  await again.deploy(pool('q', 1, '1.0.1'));
  for (let i = 0; i < 6; i++) await again.ask('pool');
  const v2 = (await instancesOf(again, 'pool')).filter((i: { release: string }) => i.release === 'pool@2');
  assert.equal(v2.length, 3, 'the run-time count outlives a deploy whose manifest says 1');
});

test('scale refuses apps that are not replicas apps, unknown apps and bad counts', async () => {
  const n = await node();
  await n.deploy(watImage(counterWat('r'), { name: 'perreq' }));
  const wrongMode = await n.api('POST', '/apps/perreq/scale', { replicas: 2 });
  assert.equal(wrongMode.status, 400);
  assert.match(wrongMode.json.message, /perreq runs per-request instances; only a replicas app/);
  assert.equal((await n.api('POST', '/apps/nope/scale', { replicas: 2 })).status, 404);
  const zero = await n.api('POST', '/apps/perreq/scale', { replicas: 0 });
  assert.equal(zero.status, 400);
  assert.match(zero.json.message, /'replicas'/);
  assert.equal((await n.api('POST', '/apps/perreq/scale', { replicas: 1.5 })).status, 400);
  assert.equal((await n.api('POST', '/apps/perreq/scale', { replicas: 2 }, null)).status, 401);
});

test('snapshot hibernates an instance now, says where it went, and the next request wakes it with its state', async () => {
  const n = await node();
  await n.deploy(watImage(counterWat('k'), { name: 'keyed', instances: { mode: 'per-key', key: { from: 'header', name: 'flick-key' } } }));
  assert.equal((await n.ask('keyed', '/', { headers: { 'flick-key': 'a' } })).text, 'k:1');
  const [inst] = await instancesOf(n, 'keyed');
  const r = await n.api('POST', `/instances/${encodeURIComponent(inst.id)}/hibernate`);
  assert.equal(r.status, 200);
  assert.equal(r.json.state, 'hibernated');
  assert.ok(existsSync(r.json.snapshot), `the snapshot file ${r.json.snapshot} exists`);
  assert.ok(r.json.bytes > 0);
  assert.equal((await n.ask('keyed', '/', { headers: { 'flick-key': 'a' } })).text, 'k:2', 'woken from the snapshot');
  assert.equal((await n.api('POST', '/instances/nope/hibernate')).status, 404);
});

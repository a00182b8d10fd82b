// Two nodes joined through a real etcd: they list each other, a deploy on one serves on both
// (the other fetches the image by hash from its peer), and a node cut off from etcd refuses
// changes it could not commit, saying why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { Daemon } from '../../src/daemon/daemon.js';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { counterWat, watImage } from '../support/wat-apps.js';

let etcd: EtcdServer;
const daemons: Daemon[] = [];
const dirs: string[] = [];

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const d of daemons) await d.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await etcd?.stop();
});

async function startMember(name: string, zone: string): Promise<Daemon> {
  const dataDir = mkdtempSync(join(tmpdir(), `flick-${name}-`));
  dirs.push(dataDir);
  const d = await Daemon.start({ host: '127.0.0.1', port: 0, dataDir, schedulers: 1, cluster: { etcd: [etcd.endpoint], nodeName: name, zone } });
  daemons.push(d);
  return d;
}

async function get(d: Daemon, path: string, host?: string): Promise<{ status: number; text: string }> {
  const res = await request(`${d.url}${path}`, { headers: host ? { host } : {} });
  return { status: res.statusCode, text: await res.body.text() };
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); ) {
    assert.ok(Date.now() < end, 'condition met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('two nodes share apps through etcd; images travel by hash; a cut-off node refuses changes', { timeout: 90_000 }, async () => {
  const a = await startMember('node-a', 'z1');
  const b = await startMember('node-b', 'z2');
  assert.equal(a.token, b.token, 'one token for the cluster');

  const nodes = JSON.parse((await get(a, '/_flick/api/nodes')).text) as Array<{ name: string; topology: { zone: string } }>;
  assert.deepEqual(nodes.map((n) => `${n.name}@${n.topology.zone}`), ['node-a@z1', 'node-b@z2']);

  await a.engine.deploy({ image: watImage(counterWat('shared'), { name: 'shared' }) });
  assert.equal((await get(a, '/', 'shared.localhost')).text, 'shared:1');
  await until(async () => (await get(b, '/', 'shared.localhost')).text === 'shared:1');
  assert.ok(b.blobs.list().length === 1, 'node-b fetched the image from node-a and verified it');

  // Each node's overview (schedulers, instances) reads through any member: the dashboard's cluster view.
  const throughA = await get(a, '/_flick/api/nodes/node-b/overview');
  assert.equal(throughA.status, 200, throughA.text);
  const direct = JSON.parse((await get(b, '/_flick/api/overview')).text) as { node: { startedAt: number; schedulers: unknown[] } };
  const proxied = JSON.parse(throughA.text) as typeof direct;
  assert.equal(proxied.node.startedAt, direct.node.startedAt, 'node-b\'s own overview, not node-a\'s');
  assert.equal(proxied.node.schedulers.length, 1);
  assert.equal((await get(a, '/_flick/api/nodes/node-a/overview')).status, 200);
  const unknown = await get(a, '/_flick/api/nodes/node-z/overview');
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /no_such_node/);

  etcd.pause();
  try {
    await until(async () => {
      const r = await request(`${b.url}/_flick/api/apps/shared/rollback`, { method: 'POST', headers: { authorization: `Bearer ${b.token}` } });
      const body = await r.body.text();
      return r.statusCode === 503 && /lost its cluster lease/.test(body);
    }, 20_000);
  } finally {
    etcd.resume();
  }
  assert.equal((await get(b, '/', 'shared.localhost')).text, 'shared:1', 'it keeps serving what it has');
});

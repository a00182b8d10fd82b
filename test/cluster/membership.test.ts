// Membership over a real etcd (started by the test on free loopback ports).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEtcdStore } from '../../src/control/store/etcd/etcd-store.js';
import type { Store } from '../../src/control/store/store.js';
import { Membership, MembershipError, type MemberInfo } from '../../src/cluster/membership.js';
import { startEtcd, type EtcdServer } from '../support/etcd.js';

let etcd: EtcdServer;
const stores: Store[] = [];
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const s of stores) await s.close().catch(() => {});
  await etcd?.stop();
});

async function store(): Promise<Store> {
  const s = await openEtcdStore({ endpoints: [etcd.endpoint] });
  stores.push(s);
  return s;
}

const info = (name: string): MemberInfo => ({
  name,
  address: `http://127.0.0.1:${7000 + name.length}`,
  topology: { hostId: `host-${name}`, disk: '8:0', cacheGroups: ['0-1'], numaNodes: [0], zone: 'z1', rack: null },
  capacity: { memoryBytes: 1 << 30, schedulers: 2 },
  startedAt: new Date().toISOString(),
});

async function until(check: () => boolean, ms = 8000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    assert.ok(Date.now() < end, 'condition met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('nodes see each other join and leave; a taken name is refused', async () => {
  const a = await Membership.join(await store(), info('alpha'), { ttlMs: 2000 });
  const b = await Membership.join(await store(), info('beta'), { ttlMs: 2000 });
  await until(() => a.members().length === 2);
  assert.deepEqual(b.members().map((m) => m.name), ['alpha', 'beta']);
  assert.equal(a.members()[1].topology.hostId, 'host-beta');
  await assert.rejects(Membership.join(await store(), info('alpha'), { ttlMs: 2000 }), MembershipError);
  await b.leave();
  await until(() => a.members().length === 1);
  await a.leave();
});

test('a node that stops renewing disappears when its lease expires', async () => {
  const watcher = await Membership.join(await store(), info('gamma'), { ttlMs: 2000 });
  const doomedStore = await store();
  await Membership.join(doomedStore, info('delta'), { ttlMs: 1000 });
  await until(() => watcher.members().some((m) => m.name === 'delta'));
  await doomedStore.close(); // keep-alives stop; the lease is not revoked
  await until(() => !watcher.members().some((m) => m.name === 'delta'), 10_000);
  await watcher.leave();
});

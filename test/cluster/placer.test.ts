// The elected placer over a real etcd: one term at a time, a dead placer replaced within its lease
// TTL, a deposed placer's writes refused; and replicas assigned by the running placer over members
// that declare shared hosts, disks and zones — spread first, kept in place when a member leaves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEtcdStore } from '../../src/control/store/etcd/etcd-store.js';
import type { Store } from '../../src/control/store/store.js';
import { Membership, type MemberInfo } from '../../src/cluster/membership.js';
import { fencedTransact, PlacerDeposedError, PlacerElection, PLACER_KEY, type PlacerTerm } from '../../src/cluster/placer-election.js';
import { Placer } from '../../src/cluster/placer.js';
import { assignKey, decodeAssignment, type AssignmentRecord } from '../../src/cluster/assignments.js';
import { Registry } from '../../src/control/registry.js';
import { validateManifest } from '../../src/image/manifest.js';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { waitFor } from '../support/wait.js';

let etcd: EtcdServer;
/** Undone in reverse order after the tests: stores, memberships, elections, placers. */
const closers: Array<() => Promise<void>> = [];
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await etcd?.stop();
});

async function store(): Promise<Store> {
  const s = await openEtcdStore({ endpoints: [etcd.endpoint] });
  closers.push(() => s.close());
  return s;
}

const quiet = { info: () => {}, warn: () => {} };

function elect(s: Store, node: string, ttlMs = 1000): PlacerElection {
  const e = new PlacerElection(s, node, { ttlMs });
  closers.push(() => e.close());
  return e;
}

function elected(e: PlacerElection): Promise<PlacerTerm> {
  return new Promise((resolve) => e.onElected(resolve));
}

test('one placer at a time; a dead one is replaced within its lease TTL; a deposed one writes nothing', { timeout: 30_000 }, async () => {
  const storeA = await store();
  const a = elect(storeA, 'node-a');
  const termA = await elected(a);
  const b = elect(await store(), 'node-b');
  await waitFor(() => b.leader?.node === 'node-a', 5000);
  assert.equal(b.term, null, 'node-b is not the placer while node-a holds the term');

  // A term's writes go through while it holds…
  const probe = '/flick/test/fenced';
  const ok = await fencedTransact(storeA, termA, { conditions: [], writes: [{ op: 'put', key: probe, value: new TextEncoder().encode('a') }] });
  assert.equal(ok.ok, true);

  // …node-a dies (its keep-alives stop; nothing is revoked): node-b takes over when the lease expires.
  const died = Date.now();
  const nextTerm = elected(b);
  await storeA.close();
  const termB = await nextTerm;
  const takeoverMs = Date.now() - died;
  console.log(`placer takeover after the holder died: ${takeoverMs} ms (lease TTL 1000 ms)`);
  assert.ok(takeoverMs < 3000, `takeover took ${takeoverMs} ms`);
  assert.ok(termB.token > termA.token, 'a later term has a larger fencing token');

  // node-a's old term, used as a paused placer waking up would use it, changes nothing.
  const observer = await store();
  await assert.rejects(
    fencedTransact(observer, termA, { conditions: [], writes: [{ op: 'put', key: probe, value: new TextEncoder().encode('stale') }] }),
    (e: unknown) => e instanceof PlacerDeposedError && /node-b/.test(e.message) && e.hint.length > 0,
  );
  assert.equal(new TextDecoder().decode((await observer.get(probe))!.value), 'a');
  assert.equal((await observer.get(PLACER_KEY))!.createRevision, termB.token);
  await b.close();
  assert.equal(await observer.get(PLACER_KEY), undefined, 'a closing placer hands the role over at once');
});

const MiB = 1 << 20;
const member = (name: string, zone: string, host: string, disk: string): MemberInfo => ({
  name,
  address: 'http://127.0.0.1:1',
  topology: { hostId: host, disk, cacheGroups: ['0-1'], numaNodes: [0], zone, rack: null },
  capacity: { memoryBytes: 1024 * MiB, schedulers: 1 },
  startedAt: new Date().toISOString(),
});

test('the running placer spreads replicas over zones, hosts and disks, and keeps them in place when a member leaves', { timeout: 60_000 }, async () => {
  // Two nodes share a disk in zone a; two share a disk in zone b; zone c has two hosts.
  const declared = [member('n1', 'a', 'h1', 'h1:d1'), member('n2', 'a', 'h1', 'h1:d1'), member('n3', 'b', 'h2', 'h2:d2'), member('n4', 'b', 'h2', 'h2:d2'), member('n5', 'c', 'h3', 'h3:d3'), member('n6', 'c', 'h4', 'h4:d4')];
  const shared = await store();
  const members = new Map<string, Membership>();
  for (const m of declared) members.set(m.name, await Membership.join(shared, m, { ttlMs: 2000 }));
  closers.push(async () => {
    for (const m of members.values()) await m.leave().catch(() => {});
  });
  const view = members.get('n1')!;
  await waitFor(() => view.members().length === declared.length);
  const election = elect(await store(), 'n1');
  const placer = new Placer(shared, view, election, quiet, { resyncMs: 60_000 });
  closers.push(() => placer.close());

  const registry = new Registry(shared);
  const deploy = async (app: string, count: number) => {
    const manifest = validateManifest({ name: app, version: '1.0.0', runtime: 'wasm', abi: 'flick', instances: { mode: 'replicas', count }, resources: { memoryMiB: 64 } }, 'build');
    const release = await registry.addRelease(app, 'sha256:' + '0'.repeat(64), manifest);
    const d = await registry.addDeployment({ app, kind: 'deploy', from: null, to: release.seq, status: 'succeeded', phases: [], options: { shadowPct: 0, canaryPct: 0 }, startedAt: new Date().toISOString() });
    assert.ok(await registry.switchRoute({ app, release: release.seq, previous: null, canary: null, deployment: d.id, switchedAt: new Date().toISOString() }, 0, d));
  };
  const assignment = async (app: string) => {
    const kv = await shared.get(assignKey(app));
    return kv ? decodeAssignment(kv) : undefined;
  };
  const topo = (name: string) => declared.find((m) => m.name === name)!.topology;
  const distinct = (a: AssignmentRecord, of: (t: MemberInfo['topology']) => string) => new Set(a.replicas.map((n) => of(topo(n!)))).size;

  await deploy('trio', 3);
  await deploy('quad', 4);
  await waitFor(async () => (await assignment('trio')) !== undefined && (await assignment('quad')) !== undefined, 10_000);
  const trio = (await assignment('trio'))!;
  const quad = (await assignment('quad'))!;
  assert.ok(trio.replicas.every((n) => n !== null) && trio.unplaced === null);
  assert.equal(distinct(trio, (t) => t.zone!), 3, `three replicas, three zones: ${trio.replicas}`);
  // Four replicas over three zones: zones 2/1/1, and every replica on its own host and disk,
  // which the cluster allows (zone c has two hosts) — n1/n2 and n3/n4 never hold two of them.
  assert.equal(distinct(quad, (t) => t.hostId), 4, `four hosts: ${quad.replicas}`);
  assert.equal(distinct(quad, (t) => t.disk), 4, `four disks: ${quad.replicas}`);
  assert.deepEqual(trio.placer, { node: 'n1', token: election.term!.token }, 'written under the placer\'s term');

  // The member holding trio's zone-c replica leaves: that replica alone moves, to the other zone-c node.
  const index = trio.replicas.findIndex((n) => topo(n!).zone === 'c');
  const leaving = trio.replicas[index]!;
  await members.get(leaving)!.leave();
  members.delete(leaving);
  await waitFor(async () => !(await assignment('trio'))!.replicas.includes(leaving), 5000);
  const after = (await assignment('trio'))!;
  assert.equal(after.replicas[index], leaving === 'n5' ? 'n6' : 'n5', 'the other host of zone c');
  after.replicas.forEach((n, i) => i !== index && assert.equal(n, trio.replicas[i], `replica #${i} stayed on ${trio.replicas[i]}`));
  assert.equal(distinct(after, (t) => t.zone!), 3);
  const quadAfter = (await assignment('quad'))!;
  assert.ok(!quadAfter.replicas.includes(leaving));
  assert.equal(distinct(quadAfter, (t) => t.zone!), 3, `quad still spans three zones: ${quadAfter.replicas}`);
});

// Links and monitors across nodes, with three real node processes and a real etcd on loopback
// (test/fixtures/actors: each key an instance; x-op says what a request makes it do). A monitor
// on another node's instance gets one DOWN when it crashes; a link takes a non-trapping partner
// down in both directions and gives a trapping one an EXIT; demonitor and unlink across nodes
// leave nothing; a key migrated to a third node keeps its links and monitors; the same actors as a
// replicas app (one replica per node) message, monitor and link replicas on other nodes; kill -9
// of a node fires DOWN and EXIT `noconnection` on the others within the lease TTL and a bound
// (a replica's monitor too), and a monitor set up while the dead node is still a member fires
// `noconnection` at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAssemblyScript } from '../../sdk/compile.mjs';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';
import { ownerOf } from '../../src/cluster/rendezvous.js';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { ClusterNode } from '../support/cluster-node.js';

const APP_DIR = join(import.meta.dirname, '..', 'fixtures', 'actors');
/** The membership lease TTL of a node (src/daemon/daemon.ts): a dead node is out of the members after it. */
const LEASE_TTL_MS = 3000;
/** What noconnection may take beyond the TTL: etcd's expiry check, the watch, the delivery into the instance. */
const NOCONNECTION_BOUND_MS = 4000;
const NAMES = ['n1', 'n2', 'n3'];

let etcd: EtcdServer;
let wasm: Uint8Array;
const nodes = new Map<string, ClusterNode>();
const node = (name: string) => nodes.get(name)!;

interface Answer {
  self: string;
  count: number;
  ref?: number;
  inbox: string[];
}

before(async () => {
  etcd = await startEtcd();
  const manifest = validateManifest(JSON.parse(readFileSync(join(APP_DIR, 'flick.json'), 'utf8')), 'build');
  ({ wasm } = await compileAssemblyScript({ appDir: APP_DIR, entry: 'assembly/index.ts' }));
  // One after the other: three processes compiling the sources at once starve each other.
  // A zone each: the placer spreads a replicas app over zones first, one replica per node.
  for (const name of NAMES) nodes.set(name, await ClusterNode.start({ name, etcd: etcd.endpoint, zone: `zone-${name}` }));
  const deployed = await node('n1').deploy(encodeImage({ manifest, code: wasm }));
  assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
  await until('every node serves the app and sees three members', async () => {
    for (const n of nodes.values()) {
      if ((await n.ask('actors', '/', { headers: { 'flick-key': `probe-${n.name}`, 'x-op': 'peek' } })).status !== 200) return false;
      if (((await n.api('GET', '/nodes')).json as unknown[]).length !== 3) return false;
    }
    return true;
  }, 60_000);
}, { timeout: 400_000 });

after(async () => {
  for (const n of nodes.values()) await n.stop().catch(() => {});
  await etcd?.stop();
});

/** A key of the app that `owner` owns while all three nodes are members. */
const used = new Set<string>();
function keyOn(owner: string, name: string): string {
  for (let i = 0; ; i++) {
    const key = `${name}-${i}`;
    if (!used.has(key) && ownerOf(`actors/${key}`, NAMES) === owner) {
      used.add(key);
      return key;
    }
  }
}

/** One request to `key`, through its owner (any node would forward it there). */
async function op(via: string, key: string, what = 'count', to = '', data = ''): Promise<Answer> {
  const res = await node(via).ask('actors', '/', { headers: { 'flick-key': key, 'x-op': what, 'x-to': to, 'x-data': data } });
  assert.equal(res.status, 200, `${what} on ${key} via ${via}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as Answer;
}

async function crash(via: string, key: string): Promise<void> {
  const res = await node(via).ask('actors', '/', { headers: { 'flick-key': key, 'x-op': 'crash' } });
  assert.equal(res.status, 500, `crash of ${key}: ${res.status} ${res.text}`);
}

/** Polls until `check` holds; the elapsed time, or a failure with the nodes' last output. */
async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - start;
    if (Date.now() - start > ms) {
      const output = [...nodes.values()].filter((n) => n.alive).map((n) => `--- ${n.name}\n${n.output.slice(-3000)}`).join('\n');
      assert.fail(`${what}: not within ${ms} ms\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the inbox of `key` holds `entry`; returns the inbox. */
async function received(via: string, key: string, entry: string, ms = 15_000): Promise<string[]> {
  let inbox: string[] = [];
  await until(`${key} receives ${entry} (inbox: ${JSON.stringify(inbox)})`, async () => (inbox = (await op(via, key, 'peek')).inbox).includes(entry), ms);
  return inbox;
}

/** Waits until the instance of `key` has started again (its count back to zero: it had no snapshot). */
async function restarted(via: string, key: string, ms = 15_000): Promise<number> {
  return until(`${key} is taken down and starts again`, async () => (await op(via, key, 'peek')).count === 0, ms);
}

test('a monitor on an instance of another node gets one DOWN with its ref when it crashes', { timeout: 120_000 }, async () => {
  const watcher = keyOn('n1', 'watcher');
  const target = keyOn('n2', 'target');
  await op('n1', watcher);
  const { ref } = await op('n1', watcher, 'monitor', target);
  assert.ok(ref && ref > 0, `monitor returned ${ref}`);
  const crashedAt = Date.now();
  await crash('n2', target);
  await received('n1', watcher, `down|${target}|${ref}|{error,trap}`);
  console.log(`crash on n2 → DOWN seen on n1 after ${Date.now() - crashedAt} ms (the crash's request and answer included)`);
  // The monitor fired: a second crash sends nothing.
  await crash('n2', target);
  await new Promise((r) => setTimeout(r, 300));
  const after = await op('n1', watcher);
  assert.deepEqual(after.inbox, [`down|${target}|${ref}|{error,trap}`], 'exactly one DOWN');
  assert.equal(after.count, 2, 'the watcher lives on');
});

test('a link across nodes takes a non-trapping partner down either way, and gives a trapping one an EXIT', { timeout: 120_000 }, async () => {
  // n1's instance dies with its partner on n2.
  const a = keyOn('n1', 'link-a');
  const b = keyOn('n2', 'link-b');
  for (let i = 0; i < 3; i++) await op('n1', a);
  assert.equal((await op('n1', a, 'link', b)).count, 3);
  await crash('n2', b);
  await restarted('n1', a);

  // And the other way: a crash on n1 takes down the partner on n3 that it linked.
  const c = keyOn('n1', 'link-c');
  const d = keyOn('n3', 'link-d');
  for (let i = 0; i < 3; i++) await op('n3', d);
  await op('n1', c, 'link', d);
  await crash('n1', c);
  await restarted('n3', d);

  // A trapping instance gets an EXIT entry and keeps its state.
  const t = keyOn('n3', 'trap');
  const u = keyOn('n2', 'trapped');
  await op('n3', t);
  await op('n3', t, 'trap');
  await op('n3', t, 'link', u);
  await crash('n2', u);
  const inbox = await received('n3', t, `exit|${u}|{error,trap}`);
  assert.deepEqual(inbox, [`exit|${u}|{error,trap}`]);
  assert.equal((await op('n3', t)).count, 2, 'the trapping instance kept its state');
});

test('demonitor and unlink across nodes: the end of the other instance sends nothing', { timeout: 120_000 }, async () => {
  const w = keyOn('n1', 'quiet');
  const gone = keyOn('n2', 'demonitored');
  const unlinked = keyOn('n2', 'unlinked');
  const control = keyOn('n2', 'control');
  for (let i = 0; i < 3; i++) await op('n1', w);
  const { ref } = await op('n1', w, 'monitor', gone);
  await op('n1', w, 'demonitor', '', String(ref));
  await op('n1', w, 'link', unlinked);
  await op('n1', w, 'unlink', unlinked);
  const { ref: controlRef } = await op('n1', w, 'monitor', control);
  await crash('n2', gone);
  await crash('n2', unlinked);
  await crash('n2', control);
  // Signals from n2 to n1 arrive in the order sent: once the control's DOWN is in, the others would be too.
  const inbox = await received('n1', w, `down|${control}|${controlRef}|{error,trap}`);
  assert.deepEqual(inbox, [`down|${control}|${controlRef}|{error,trap}`], 'only the control monitor fired');
  assert.equal((await op('n1', w, 'peek')).count, 3, 'the unlinked instance lived on');
});

test('an instance migrated to another node keeps its links and monitors', { timeout: 120_000 }, async () => {
  const mover = keyOn('n2', 'mover');
  const watcher = keyOn('n1', 'mover-watch');
  const trapper = keyOn('n1', 'mover-trap');
  const partner = keyOn('n3', 'mover-link');
  await op('n2', mover);
  const { ref } = await op('n1', watcher, 'monitor', mover);
  await op('n1', trapper, 'trap');
  await op('n1', trapper, 'link', mover);
  for (let i = 0; i < 3; i++) await op('n3', partner);
  await op('n3', partner, 'link', mover);

  const list = (await node('n2').api('GET', '/instances')).json as Array<{ id: string; app: string; key: string }>;
  const id = list.find((i) => i.app === 'actors' && i.key === mover)!.id;
  const moved = await node('n2').api('POST', `/instances/${encodeURIComponent(id)}/move`, { node: 'n3' });
  assert.equal(moved.status, 200, JSON.stringify(moved.json));
  assert.equal((await op('n3', mover)).count, 2, 'the instance moved with its state');

  await crash('n3', mover);
  await received('n1', watcher, `down|${mover}|${ref}|{error,trap}`);
  await received('n1', trapper, `exit|${mover}|{error,trap}`);
  await restarted('n3', partner);
});

/** The same actors as a replicas app, one replica per node: `#i` on the node the placer gave it. */
const POOL = 'actors-pool';
/** The replica each node hosts (filled by the replicas test, used again by the kill test). */
const poolReplica = new Map<string, string>();

/** A request to the replicas app through `via`, answered by replica `expect` (a node hosting several goes round them). */
async function poolOp(via: string, expect: string, what = 'count', to = '', data = ''): Promise<Answer> {
  for (let i = 0; i < 8; i++) {
    const op = i === 0 ? what : 'peek';
    const res = await node(via).ask(POOL, '/', { headers: { 'x-op': op, 'x-to': to, 'x-data': data } });
    assert.equal(res.status, 200, `${op} via ${via}: ${res.status} ${res.text}`);
    const answer = JSON.parse(res.text) as Answer;
    // An op reaching another replica would have acted there: only a peek or a count may be asked again.
    if (answer.self !== expect) assert.ok(op === 'peek' || op === 'count', `${what} via ${via} reached ${answer.self}, not ${expect}`);
    else if (op === what || what === 'count') return answer;
  }
  assert.fail(`no answer from replica ${expect} through ${via}`);
}

test('a replicas app: messages, monitors and links reach a replica on another node', { timeout: 120_000 }, async () => {
  const manifest = validateManifest({ ...JSON.parse(readFileSync(join(APP_DIR, 'flick.json'), 'utf8')), name: POOL, instances: { mode: 'replicas', count: 3 } }, 'build');
  const deployed = await node('n1').deploy(encodeImage({ manifest, code: wasm }));
  assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
  await until('one replica on each node', async () => {
    poolReplica.clear();
    for (const n of nodes.values()) {
      const mine = ((await n.api('GET', '/instances')).json as Array<{ app: string; key: string }>).filter((i) => i.app === POOL);
      if (mine.length !== 1) return false;
      poolReplica.set(n.name, mine[0].key);
    }
    return new Set(poolReplica.values()).size === 3;
  }, 30_000);
  const [a, b, c] = NAMES.map((n) => poolReplica.get(n)!);

  // A message from the replica on n1 to the one on n2, and its answer back.
  await poolOp('n1', a, 'send', b, 'ping');
  await until(`${a} receives pong from ${b}`, async () => (await poolOp('n1', a, 'peek')).inbox.includes(`message|${b}|pong`));

  // A monitor across nodes fires once when the replica crashes (its supervisor starts it again).
  const { ref } = await poolOp('n1', a, 'monitor', b);
  assert.ok(ref && ref > 0, `monitor returned ${ref}`);
  const crashed = await node('n2').ask(POOL, '/', { headers: { 'x-op': 'crash' } });
  assert.equal(crashed.status, 500, `crash of ${b}: ${crashed.status} ${crashed.text}`);
  await until(`${a} gets DOWN for ${b}`, async () => (await poolOp('n1', a, 'peek')).inbox.includes(`down|${b}|${ref}|{error,trap}`));

  // A link across nodes: the trapping replica on n3 gets an EXIT when the one on n1 crashes.
  await poolOp('n3', c, 'trap');
  await poolOp('n3', c, 'link', a);
  assert.equal((await node('n1').ask(POOL, '/', { headers: { 'x-op': 'crash' } })).status, 500);
  await until(`${c} gets EXIT from ${a}`, async () => (await poolOp('n3', c, 'peek')).inbox.includes(`exit|${a}|{error,trap}`));
});

test('kill -9 of a node: its instances\' watchers get DOWN and EXIT noconnection within the lease TTL and a bound', { timeout: 180_000 }, async () => {
  const watcher = keyOn('n1', 'kill-watch');
  const trapper = keyOn('n1', 'kill-trap');
  const linked = keyOn('n3', 'kill-link');
  const late = keyOn('n1', 'kill-late');
  const [watched, trapped, partner, unreachable] = ['kill-watched', 'kill-trapped', 'kill-partner', 'kill-unreachable'].map((k) => keyOn('n2', k));
  const { ref } = await op('n1', watcher, 'monitor', watched);
  await op('n1', trapper, 'trap');
  await op('n1', trapper, 'link', trapped);
  for (let i = 0; i < 3; i++) await op('n3', linked);
  await op('n3', linked, 'link', partner);
  const [poolWatcher, poolWatched] = [poolReplica.get('n1')!, poolReplica.get('n2')!];
  const { ref: poolRef } = await poolOp('n1', poolWatcher, 'monitor', poolWatched);
  // The links and monitors are in place on n2: a message sent after them has arrived.
  await op('n1', watcher, 'send', watched, 'ping');
  await received('n1', watcher, `message|${watched}|pong`);

  // Load through the survivors, to keys they own (forwarded between them) while n2 dies: none may fail.
  let loading = true;
  const load = async (via: string, key: string) => {
    let n = 0;
    for (; loading; n++) await op(via, key);
    return n;
  };
  const loads = [load('n1', keyOn('n3', 'load')), load('n3', keyOn('n1', 'load'))];

  const killedAt = Date.now();
  const since = () => Date.now() - killedAt;
  const within = LEASE_TTL_MS + NOCONNECTION_BOUND_MS;
  let lateMs: number;
  let downMs: number;
  let exitMs: number;
  let linkMs: number;
  let replicaMs: number;
  try {
    await node('n2').kill();
    // While n2 is still a member (its lease has not expired), a new monitor on one of its keys cannot reach it.
    const { ref: lateRef } = await op('n1', late, 'monitor', unreachable);
    await received('n1', late, `down|${unreachable}|${lateRef}|noconnection`, LEASE_TTL_MS);
    lateMs = since();
    // Each watched for at once, each timed from the kill to the first answer that shows it.
    [downMs, exitMs, linkMs, replicaMs] = await Promise.all([
      until('DOWN noconnection', async () => (await op('n1', watcher, 'peek')).inbox.includes(`down|${watched}|${ref}|noconnection`), within).then(since),
      until('EXIT noconnection', async () => (await op('n1', trapper, 'peek')).inbox.includes(`exit|${trapped}|noconnection`), within).then(since),
      until('the linked partner down', async () => (await op('n3', linked, 'peek')).count === 0, within).then(since),
      until('DOWN noconnection for the replica on n2', async () => (await poolOp('n1', poolWatcher, 'peek')).inbox.includes(`down|${poolWatched}|${poolRef}|noconnection`), within).then(since),
    ]);
  } finally {
    loading = false;
  }
  const served = await Promise.all(loads);
  console.log(`kill -9 → DOWN noconnection of a monitor set up after the kill: ${lateMs} ms; DOWN noconnection ${downMs} ms, EXIT noconnection ${exitMs} ms, non-trapping partner down ${linkMs} ms, a replica's monitor ${replicaMs} ms (lease TTL ${LEASE_TTL_MS} ms); ${served[0] + served[1]} requests through the survivors meanwhile, none failed`);
});

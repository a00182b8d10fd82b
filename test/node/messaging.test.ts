// Messaging between instances through a real node over HTTP (docs/abi.md, "Messaging"): sends
// and replies, links that take a partner down, trapped exits, monitors, exit signals, hibernated
// receivers, the limits, and apps not granted messaging. The fixture (test/fixtures/actors) is an
// AssemblyScript app built here from source; each key is an instance.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAssemblyScript } from '../../sdk/compile.mjs';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest, type Manifest } from '../../src/image/manifest.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

const APP_DIR = join(import.meta.dirname, '..', 'fixtures', 'actors');

interface Answer {
  self: string;
  count: number;
  ref?: number;
  inbox: string[];
}

let wasm: Uint8Array;
let manifest: Manifest;
let n: TestNode;
before(async () => {
  manifest = validateManifest(JSON.parse(readFileSync(join(APP_DIR, 'flick.json'), 'utf8')), 'build');
  ({ wasm } = await compileAssemblyScript({ appDir: APP_DIR, entry: 'assembly/index.ts' }));
  n = await startNode();
  await n.deploy(encodeImage({ manifest, code: wasm }));
});
after(async () => {
  await n?.stop();
});

async function op(key: string, what = 'count', to = '', data = '', app = 'actors'): Promise<Answer> {
  const res = await n.ask(app, '/', { headers: { 'flick-key': key, 'x-op': what, 'x-to': to, 'x-data': data } });
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as Answer;
}

async function inboxOf(key: string, expect: string, ms = 5000): Promise<string[]> {
  let inbox: string[] = [];
  await waitFor(async () => (inbox = (await op(key, 'peek')).inbox).includes(expect), ms).catch(() => {
    assert.fail(`${key} never received ${expect}; its inbox: ${JSON.stringify(inbox)}`);
  });
  return inbox;
}

function record(key: string) {
  const rec = [...n.daemon.node.table.all()].find((r) => r.app === 'actors' && r.key === key);
  assert.ok(rec, `no instance for key ${key}`);
  return rec;
}

test('an instance knows its address, and a message reaches the instance of the key it names', async () => {
  assert.equal((await op('a1')).self, 'a1');
  await op('a1', 'send', 'b1', 'hello');
  const inbox = await inboxOf('b1', 'message|a1|hello');
  assert.deepEqual(inbox, ['message|a1|hello']);
});

test('a reply goes back to the sender (ping → pong)', async () => {
  await op('a2', 'send', 'b2', 'ping');
  await inboxOf('b2', 'message|a2|ping');
  await inboxOf('a2', 'message|b2|pong');
});

test('messages from one sender arrive in the order they were sent', async () => {
  for (let i = 0; i < 20; i++) await op('a3', 'send', 'b3', `m${i}`);
  const inbox = await inboxOf('b3', 'message|a3|m19');
  assert.deepEqual(inbox, Array.from({ length: 20 }, (_, i) => `message|a3|m${i}`));
});

test('a link takes a non-trapping partner down when one crashes; both start again', async () => {
  for (let i = 0; i < 3; i++) await op('l1');
  assert.equal((await op('l1', 'link', 'l2')).count, 3);
  const before = record('l1').restarts;
  const res = await n.ask('actors', '/', { headers: { 'flick-key': 'l2', 'x-op': 'crash' } });
  assert.equal(res.status, 500, res.text);
  assert.match(res.text, /crash requested/);
  // l1 had no snapshot: it starts fresh, its count gone with the process.
  assert.equal(record('l1').restarts, before + 1);
  assert.equal((await op('l1')).count, 1);
  // The link died with the process: another crash of l2 leaves l1 alone.
  await n.ask('actors', '/', { headers: { 'flick-key': 'l2', 'x-op': 'crash' } });
  assert.equal((await op('l1')).count, 2);
});

test('an instance that traps exits gets an EXIT entry instead of dying', async () => {
  await op('t1');
  await op('t1', 'trap');
  await op('t1', 'link', 't2');
  await n.ask('actors', '/', { headers: { 'flick-key': 't2', 'x-op': 'crash' } });
  const inbox = await inboxOf('t1', 'exit|t2|{error,trap}');
  assert.deepEqual(inbox, ['exit|t2|{error,trap}']);
  assert.equal((await op('t1')).count, 2, 't1 kept its state');
});

test('a monitor gets one DOWN with its ref and the reason; the watcher lives on', async () => {
  await op('m1');
  const { ref } = await op('m1', 'monitor', 'm2');
  assert.ok(ref && ref > 0, `monitor returned ${ref}`);
  await n.ask('actors', '/', { headers: { 'flick-key': 'm2', 'x-op': 'crash' } });
  await inboxOf('m1', `down|m2|${ref}|{error,trap}`);
  await n.ask('actors', '/', { headers: { 'flick-key': 'm2', 'x-op': 'crash' } });
  await new Promise((r) => setTimeout(r, 100));
  const after = await op('m1');
  assert.equal(after.count, 2);
  assert.deepEqual(after.inbox, [`down|m2|${ref}|{error,trap}`], 'exactly one DOWN');
});

test('a demonitored ref delivers nothing', async () => {
  const { ref } = await op('d1', 'monitor', 'd2');
  await op('d1', 'demonitor', '', String(ref));
  await n.ask('actors', '/', { headers: { 'flick-key': 'd2', 'x-op': 'crash' } });
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual((await op('d1')).inbox, []);
});

test('exit signals: normal is ignored, kill always ends the target, and its link carries killed', async () => {
  await op('e1', 'trap');
  await op('e1', 'link', 'e2');
  await op('e2');
  await op('e1', 'exit', 'e2', 'normal');
  assert.equal((await op('e2')).count, 2, 'normal does not end another instance');
  await op('e3', 'exit', 'e2', 'kill');
  await inboxOf('e1', 'exit|e2|killed');
  assert.equal((await op('e2')).count, 1, 'e2 was killed and started again');
});

test('a crash while handling a message ends the receiver and fires its links', async () => {
  await op('c1', 'trap');
  await op('c1', 'link', 'c2');
  await op('c3', 'send', 'c2', 'crash');
  await inboxOf('c1', 'exit|c2|{error,trap}');
});

test('a message wakes a hibernated receiver, whose state is intact', async () => {
  await op('h2');
  await op('h2');
  const rec = record('h2');
  await n.daemon.node.hibernate(rec);
  assert.equal(rec.status, 'hibernated');
  await op('h1', 'send', 'h2', 'wake up');
  await waitFor(() => rec.status === 'running');
  const answer = await op('h2');
  assert.equal(answer.count, 3);
  assert.deepEqual(answer.inbox, ['message|h1|wake up']);
});

test('a flood of sends in one call is stopped with a clear error; the node and other keys are fine', async () => {
  const res = await n.ask('actors', '/', { headers: { 'flick-key': 'f1', 'x-op': 'flood', 'x-to': 'f2' } });
  assert.equal(res.status, 500, res.text);
  assert.match(res.text, /more than 1024 messaging operations/);
  assert.equal((await op('f3')).count, 1);
});

test('a fork bomb through messaging stops at instances.max; requests for more keys get 503 instance_limit', async () => {
  const bomb = validateManifest({ ...manifest, name: 'bomb', instances: { ...manifest.instances, max: 5 } }, 'image');
  await n.deploy(encodeImage({ manifest: bomb, code: wasm }));
  const dropped = n.daemon.node.processes.counters.dropped;
  assert.equal((await op('root', 'spread', 'child', '50', 'bomb')).count, 0);
  await waitFor(() => n.daemon.node.table.countOf('bomb') === 5);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(n.daemon.node.table.countOf('bomb'), 5, 'never more than instances.max');
  assert.ok(n.daemon.node.processes.counters.dropped - dropped >= 45, 'the sends beyond the limit were dropped and counted');
  const res = await n.ask('bomb', '/', { headers: { 'flick-key': 'one-more' } });
  assert.equal(res.status, 503, res.text);
  assert.match(res.text, /instance_limit|instances on this node/);
  assert.match(res.text, /instances\.max/);
  assert.equal(res.headers['retry-after'], '1');
  assert.equal((await op('root', 'count', '', '', 'bomb')).count, 1, 'existing keys still serve');
});

test('an app not granted messaging is refused with the fix, and nothing is sent', async () => {
  const { capabilities, ...rest } = manifest;
  const denied = validateManifest({ ...rest, name: 'deaf', capabilities: { ...capabilities, messaging: false } }, 'image');
  await n.deploy(encodeImage({ manifest: denied, code: wasm }));
  const res = await n.ask('deaf', '/', { headers: { 'flick-key': 'x', 'x-op': 'send', 'x-to': 'y', 'x-data': 'hi' } });
  assert.equal(res.status, 500, res.text);
  assert.match(res.text, /capabilities.*messaging/);
  assert.equal(n.daemon.node.processes.isAlive('deaf', 'y'), false);
});

test('the manifest refuses messaging for JS and WAGI apps', () => {
  assert.throws(() => validateManifest({ name: 'j', version: '1.0.0', runtime: 'js', capabilities: { messaging: true } }, 'image'), /capabilities\.messaging.*JS apps/);
  assert.throws(() => validateManifest({ name: 'w', version: '1.0.0', abi: 'wagi', capabilities: { messaging: true } }, 'image'), /capabilities\.messaging.*WAGI apps/);
});

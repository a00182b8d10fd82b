// JS apps on a real node: images built from sources by `flick build`, served over HTTP like wasm
// apps: routing, per-key instances, hibernation (env.state handed over), deploys with state
// upgrade, rollback, CPU limits and telemetry.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../src/image/build.js';
import type { RequestEvent } from '../../src/node/node.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

const TEMPLATE = new URL('../../templates/ts', import.meta.url).pathname;
const COUNTER = new URL('../fixtures/js/per-key', import.meta.url).pathname;

const nodes: TestNode[] = [];
const dirs: string[] = [];
async function node(opts: Parameters<typeof startNode>[0] = {}): Promise<TestNode> {
  const n = await startNode(opts);
  nodes.push(n);
  return n;
}
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Builds the app in `dir`, or a copy of it with `from` replaced by `to` in its entry source. */
async function build(dir: string, edit?: { file: string; from: string; to: string }): Promise<Uint8Array> {
  if (!edit) return (await buildImage(dir)).bytes;
  const copy = mkdtempSync(join(tmpdir(), 'flick-js-app-'));
  dirs.push(copy);
  cpSync(dir, copy, { recursive: true });
  const file = join(copy, edit.file);
  writeFileSync(file, readFileSync(file, 'utf8').replace(edit.from, edit.to));
  return (await buildImage(copy)).bytes;
}

const key = (k: string) => ({ headers: { 'flick-key': k } });
const hibernated = (n: TestNode, app: string) => async () => (await n.api('GET', '/instances')).json.some((i: { app: string; state: string }) => i.app === app && i.state === 'hibernated');

test('the TypeScript template answers HTTP, and each request is a telemetry event', async () => {
  const n = await node();
  const events: RequestEvent[] = [];
  n.daemon.node.on('request', (e) => events.push(e));
  await n.deploy(await build(TEMPLATE));
  const res = await n.ask('ts', '/hi', { method: 'POST', body: 'x' });
  assert.equal(res.status, 200);
  assert.equal(res.text, 'hello from TypeScript: POST /hi\n');
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  const ev = events.find((e) => e.app === 'ts');
  assert.ok(ev, 'a request event for the JS app');
  assert.equal(ev.status, 200);
  assert.equal(ev.error, null);
  assert.ok(ev.schedulerUs > 0);
});

test('per-key JS instances count on their own in env.state', async () => {
  const n = await node();
  await n.deploy(await build(COUNTER));
  assert.equal((await n.ask('js-counter', '/', key('a'))).text, 'v1:1');
  assert.equal((await n.ask('js-counter', '/', key('a'))).text, 'v1:2');
  assert.equal((await n.ask('js-counter', '/', key('b'))).text, 'v1:1');
  assert.equal((await n.ask('js-counter', '/', key('a'))).text, 'v1:3');
  const ps = (await n.api('GET', '/instances')).json.filter((i: { app: string }) => i.app === 'js-counter');
  assert.deepEqual(ps.map((i: { key: string }) => i.key).sort(), ['a', 'b']);
});

test('a JS instance\'s console lines are tagged with the instance, as wasm ones are', async () => {
  const n = await node();
  await n.deploy(await build(COUNTER, { file: 'src/index.ts', from: 'return new Response(', to: 'console.log(`count ${env.state.count}`); return new Response(' }));
  await n.ask('js-counter', '/', key('a'));
  await n.ask('js-counter', '/', key('b'));
  await n.ask('js-counter', '/', key('a'));
  const ids = Object.fromEntries((await n.api('GET', '/instances')).json.filter((i: { app: string }) => i.app === 'js-counter').map((i: { key: string; id: string }) => [i.key, i.id]));
  const linesOf = async (id: string) => {
    const res = await n.api('GET', `/logs?app=js-counter&instance=${encodeURIComponent(id)}`);
    // ndjson: one line parses as an object, several stay text
    const text = typeof res.json === 'string' ? res.json : JSON.stringify(res.json);
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { message: string; instance: string });
  };
  await waitFor(async () => (await linesOf(ids.a)).length === 2);
  assert.deepEqual((await linesOf(ids.a)).map((l) => l.message), ['count 1', 'count 2']);
  assert.deepEqual((await linesOf(ids.b)).map((l) => [l.message, l.instance]), [['count 1', ids.b]]);
});

test('an idle JS instance hibernates and wakes with its env.state', async () => {
  const n = await node({ hibernateSweepMs: 50 });
  const spawns: string[] = [];
  n.daemon.node.on('instance', (ev, rec) => spawns.push(`${ev}:${rec.key}`));
  await n.deploy(await build(COUNTER));
  await n.ask('js-counter', '/', key('k'));
  assert.equal((await n.ask('js-counter', '/', key('k'))).text, 'v1:2');
  await waitFor(hibernated(n, 'js-counter'));
  assert.equal((await n.ask('js-counter', '/', key('k'))).text, 'v1:3', 'woken with its count');
  await waitFor(hibernated(n, 'js-counter'));
  assert.equal((await n.ask('js-counter', '/', key('k'))).text, 'v1:4');
  assert.deepEqual(spawns.filter((s) => s.endsWith(':k')).slice(0, 4), ['spawn:k', 'hibernate:k', 'wake:k', 'hibernate:k']);
});

test('a JS instance migrates between schedulers with its env.state', async () => {
  const n = await node();
  await n.deploy(await build(COUNTER));
  await n.ask('js-counter', '/', key('m'));
  const rec = [...n.daemon.node.table.all()].find((r) => r.key === 'm')!;
  await n.daemon.node.migrate(rec.id, (rec.scheduler + 1) % 2);
  assert.equal((await n.ask('js-counter', '/', key('m'))).text, 'v1:2');
});

test('deploy v2 moves per-key env.state to the new code; rollback returns to v1', async () => {
  const n = await node();
  await n.deploy(await build(TEMPLATE));
  await n.deploy(await build(COUNTER));
  await n.ask('js-counter', '/', key('a'));
  assert.equal((await n.ask('js-counter', '/', key('a'))).text, 'v1:2');

  const d = await n.deploy(await build(COUNTER, { file: 'src/index.ts', from: "'v1'", to: "'v2'" }));
  assert.equal(d.status, 'succeeded', JSON.stringify(d));
  const upgrade = d.phases.find((p: { name: string }) => p.name === 'upgrade');
  assert.equal(upgrade.detail, '1 instance moved to release 2 with env.state');
  assert.equal((await n.ask('js-counter', '/', key('a'))).text, 'v2:3', 'v2 continues the count');
  assert.equal((await n.api('POST', '/apps/js-counter/rollback', {})).status, 200);
  assert.equal((await n.ask('js-counter', '/', key('a'))).text, 'v1:3', 'the warm v1 instance, as it was');

  await n.deploy(await build(TEMPLATE, { file: 'src/index.ts', from: 'hello from TypeScript', to: 'hello again' }));
  assert.equal((await n.ask('ts', '/')).text, 'hello again: GET /\n');
  assert.equal((await n.api('POST', '/apps/ts/rollback', {})).status, 200);
  assert.equal((await n.ask('ts', '/')).text, 'hello from TypeScript: GET /\n');
});

test('a bundle that throws as it loads fails its deploy at start, on the schedulers; the release before keeps serving', async () => {
  const n = await node();
  await n.deploy(await build(TEMPLATE));
  const broken = await build(TEMPLATE, { file: 'src/index.ts', from: '// A Workers-style app', to: 'throw new Error("boom at load");\n//' });
  await assert.rejects(n.deploy(broken), (e: Error & { deployment: { phases: Array<{ name: string; status: string; detail?: string }>; status: string } }) => {
    assert.match(e.message, /boom at load/);
    assert.equal(e.deployment.status, 'failed');
    const start = e.deployment.phases.find((p) => p.name === 'start');
    assert.equal(start?.status, 'failed');
    return true;
  });
  assert.deepEqual([...n.daemon.node.releases.keys()], ['ts@1'], 'the broken release is not left loaded');
  assert.equal((await n.ask('ts', '/')).text, 'hello from TypeScript: GET /\n');
  const history = (await n.api('GET', '/apps/ts')).json as { route: { release: number } };
  assert.equal(history.route.release, 1);
});

test('an infinite loop gets 503 cpu_budget_exceeded and the node keeps serving', async () => {
  const n = await node();
  await n.deploy(await build(TEMPLATE));
  await n.deploy(await build(COUNTER));
  await n.ask('js-counter', '/', key('s'));
  const spin = await n.ask('js-counter', '/spin', key('s'));
  assert.equal(spin.status, 503);
  assert.equal(JSON.parse(spin.text).error, 'cpu_budget_exceeded');
  assert.equal((await n.ask('js-counter', '/', key('s'))).text, 'v1:1', 'restarted fresh: it had no snapshot');
  assert.equal((await n.ask('js-counter', '/', key('other'))).text, 'v1:1');
  assert.equal((await n.ask('ts', '/')).status, 200);
});

// One flick node, for real: HTTP over loopback, the embedded store on disk, scheduler threads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';
import { buildCFixtures, buildDir } from '../fixtures/c/build.mjs';
import { counterWat, LOOP_WAT, statusWat, watImage } from '../support/wat-apps.js';

const nodes: TestNode[] = [];
async function node(opts: Parameters<typeof startNode>[0] = {}, dataDir?: string): Promise<TestNode> {
  const n = await startNode(opts, dataDir);
  nodes.push(n);
  return n;
}
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
});

const perKey = (name: string, tag: string, key: Record<string, unknown> = { from: 'header', name: 'flick-key' }, extra: Record<string, unknown> = {}) =>
  watImage(counterWat(tag), { name, instances: { mode: 'per-key', key }, ...extra });

test('apps are routed by Host and by manifest routes; an unknown app is a clear 404', async () => {
  const n = await node();
  await n.deploy(watImage(counterWat('a'), { name: 'alpha', routes: ['/alpha/*'] }));
  assert.deepEqual((await n.ask('alpha')).text, 'a:1', 'per-request: a fresh instance each time');
  assert.equal((await n.ask('alpha')).text, 'a:1');
  assert.equal((await n.ask('other', '/alpha/x')).text, 'a:1', 'the manifest route matches on any host');
  const missing = await n.ask('nope');
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.text).error, 'no_route');
});

test('per-key instances: by header, cookie and path segment, each key counting on its own', async () => {
  const n = await node();
  await n.deploy(perKey('byheader', 'h'));
  await n.deploy(perKey('bycookie', 'c', { from: 'cookie', name: 'room' }));
  await n.deploy(perKey('bypath', 'p', { from: 'path', segment: 1 }));
  assert.equal((await n.ask('byheader', '/', { headers: { 'flick-key': 'x' } })).text, 'h:1');
  assert.equal((await n.ask('byheader', '/', { headers: { 'flick-key': 'x' } })).text, 'h:2');
  assert.equal((await n.ask('byheader', '/', { headers: { 'flick-key': 'y' } })).text, 'h:1');
  assert.equal((await n.ask('bycookie', '/', { headers: { cookie: 'a=1; room=blue' } })).text, 'c:1');
  assert.equal((await n.ask('bycookie', '/', { headers: { cookie: 'room=blue' } })).text, 'c:2');
  assert.equal((await n.ask('bypath', '/rooms/r1/msg')).text, 'p:1');
  assert.equal((await n.ask('bypath', '/rooms/r1/other')).text, 'p:2');
  assert.equal((await n.ask('bypath', '/rooms/r2')).text, 'p:1');
  const ps = await n.api('GET', '/instances');
  const keys = ps.json.filter((i: { app: string }) => i.app === 'byheader').map((i: { key: string }) => i.key).sort();
  assert.deepEqual(keys, ['x', 'y']);
});

test('deploy switches atomically, rollback returns to the warm previous release', async () => {
  const n = await node();
  await n.deploy(watImage(counterWat('v1'), { name: 'web' }));
  const d2 = await n.deploy(watImage(counterWat('v2'), { name: 'web' }));
  assert.deepEqual(d2.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`), ['copy:ok', 'start:ok', 'health:skipped', 'shadow:skipped', 'upgrade:skipped', 'switch:ok', 'keep-warm:ok', 'done:ok']);
  assert.equal((await n.ask('web')).text, 'v2:1');
  const rb = await n.api('POST', '/apps/web/rollback', {});
  assert.equal(rb.status, 200, JSON.stringify(rb.json));
  assert.equal((await n.ask('web')).text, 'v1:1');
  const history = (await n.api('GET', '/apps/web/deployments')).json;
  assert.deepEqual(history.map((d: { kind: string; status: string; to: number }) => `${d.kind}:${d.status}:${d.to}`), ['deploy:succeeded:1', 'deploy:succeeded:2', 'rollback:succeeded:1']);
});

test('rollback lands on the previous release\'s still-warm per-key instances, state as it was', async () => {
  const n = await node();
  const key = { headers: { 'flick-key': 'k' } };
  await n.deploy(perKey('tenant', 'v1'));
  await n.ask('tenant', '/', key);
  assert.equal((await n.ask('tenant', '/', key)).text, 'v1:2');
  await n.deploy(perKey('tenant', 'v2'));
  assert.equal((await n.ask('tenant', '/', key)).text, 'v2:1');
  assert.equal((await n.api('POST', '/apps/tenant/rollback', {})).status, 200);
  assert.equal((await n.ask('tenant', '/', key)).text, 'v1:3', 'the same warm v1 instance, not a cold start');
});

test('a failing health check aborts before the switch: the old release keeps serving, the reason is recorded', async () => {
  const n = await node();
  await n.deploy(watImage(counterWat('good'), { name: 'svc', health: { path: '/healthz' } }));
  await assert.rejects(n.deploy(watImage(statusWat(500), { name: 'svc', health: { path: '/healthz' } })), (e: Error & { deployment?: { status: string; reason: string } }) => {
    assert.equal(e.deployment?.status, 'failed');
    assert.match(e.deployment!.reason, /health check \/healthz answered 500, expected 200/);
    return true;
  });
  assert.equal((await n.ask('svc')).text, 'good:1');
  const route = (await n.api('GET', '/apps/svc')).json.route;
  assert.equal(route.release, 1);
});

test('canary splits traffic by weight; shadow compares answers and aborts above the threshold', async () => {
  const n = await node();
  await n.deploy(watImage(counterWat('old'), { name: 'split' }));
  await n.deploy(watImage(counterWat('new'), { name: 'split' }), { canaryPct: 30 });
  const seen = { old: 0, new: 0 };
  for (let i = 0; i < 100; i++) seen[(await n.ask('split')).text.startsWith('new') ? 'new' : 'old']++;
  assert.equal(seen.new, 30, `exactly 30% to the canary (${JSON.stringify(seen)})`);

  await n.deploy(watImage(counterWat('same'), { name: 'mirror' }));
  const load = setInterval(() => void n.ask('mirror').catch(() => {}), 5);
  try {
    const ok = await n.deploy(watImage(counterWat('same'), { name: 'mirror', version: '1.0.1' }), { shadowPct: 100, shadowMs: 400 });
    assert.match(ok.phases.find((p: { name: string }) => p.name === 'shadow').detail, /^0\/\d+ mirrored requests differed/);
    await assert.rejects(n.deploy(watImage(counterWat('different'), { name: 'mirror' }), { shadowPct: 100, shadowMs: 400 }), /shadow traffic disagreed/);
  } finally {
    clearInterval(load);
  }
  assert.equal((await n.ask('mirror')).text, 'same:1', 'the aborted release never served');
});

test('the control API: token required for changes, bad bodies refused naming the field', async () => {
  const n = await node();
  await n.deploy(watImage(counterWat('a'), { name: 'api' }));
  assert.equal((await n.api('POST', '/apps/api/rollback', {}, null)).status, 401);
  assert.equal((await n.api('POST', '/apps/api/rollback', {}, 'wrong-token')).status, 401);
  assert.equal((await n.api('GET', '/apps')).status, 200, 'reads are open on loopback');
  assert.equal(statSync(join(n.dataDir, 'token')).mode & 0o777, 0o600, 'the token file is readable by its owner only');
  assert.equal(n.daemon.url.startsWith('http://127.0.0.1:'), true, 'bound to loopback unless told otherwise');
  const badJson = await n.api('POST', '/deployments', '{not json');
  assert.equal(badJson.status, 400);
  assert.match(badJson.json.message, /not valid JSON/);
  const unknown = await n.api('POST', '/deployments', { image: 'sha256:00', colour: 'red' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.json.message, /unknown field 'colour'/);
  const wrongType = await n.api('POST', '/deployments', { image: 7 });
  assert.match(wrongType.json.message, /field 'image' must be a string/);
  const outOfRange = await n.api('POST', '/instances/x/migrate', { to: -1 });
  assert.match(outOfRange.json.message, /field 'to' is -1/);
});

test('limits at the front door: 413 for big bodies, 431 for big headers, 503 + Retry-After when overloaded', async () => {
  const n = await node({ ingress: { maxBodyBytes: 1024, maxHeaderBytes: 2048, gate: { limit: 1, queue: 0 } } });
  await n.deploy(watImage(counterWat('a'), { name: 'lim' }));
  assert.equal((await n.ask('lim', '/', { method: 'POST', body: 'x'.repeat(4096) })).status, 413);
  assert.equal((await n.ask('lim', '/', { headers: { 'x-big': 'y'.repeat(4096) } })).status, 431);
  const answers = await Promise.all(Array.from({ length: 20 }, () => n.ask('lim')));
  const refused = answers.filter((a) => a.status === 503);
  assert.ok(refused.length > 0, 'some requests are refused rather than queued without bound');
  assert.equal(refused[0].headers['retry-after'], '1');
  assert.equal(JSON.parse(refused[0].text).error, 'overloaded');
  assert.ok(answers.every((a) => a.status === 200 || a.status === 503));
});

test('a runaway app gets 503 with the reason; the node keeps serving others', async () => {
  const n = await node();
  await n.deploy(watImage(LOOP_WAT, { name: 'spin', resources: { memoryMiB: 1, cpuMsPerCall: 20, deadlineMs: 1000 } }));
  await n.deploy(watImage(counterWat('ok'), { name: 'calm' }));
  const r = await n.ask('spin');
  assert.equal(r.status, 503);
  assert.equal(JSON.parse(r.text).error, 'cpu_budget_exceeded');
  assert.equal((await n.ask('calm')).text, 'ok:1');
});

test('idle instances hibernate to disk and wake with their state, also after a restart of the node', async () => {
  const n = await node({ hibernateSweepMs: 50 });
  await n.deploy(perKey('sleepy', 's', undefined, { hibernate: { idleMs: 100 } }));
  for (let i = 0; i < 3; i++) await n.ask('sleepy', '/', { headers: { 'flick-key': 'k' } });
  await waitFor(async () => (await n.api('GET', '/instances')).json.some((i: { state: string }) => i.state === 'hibernated'));
  assert.equal((await n.ask('sleepy', '/', { headers: { 'flick-key': 'k' } })).text, 's:4', 'woken with its count');
  await waitFor(async () => (await n.api('GET', '/instances')).json.some((i: { state: string }) => i.state === 'hibernated'));
  await n.stop({ keepData: true });
  nodes.splice(nodes.indexOf(n), 1);
  const again = await node({ hibernateSweepMs: 50 }, n.dataDir);
  assert.equal((await again.ask('sleepy', '/', { headers: { 'flick-key': 'k' } })).text, 's:5', 'state survived the restart');
  assert.equal((await again.ask('sleepy', '/', { headers: { 'flick-key': 'other' } })).text, 's:1');
});

test('migrating a live instance between schedulers under load: no request fails, state intact', async () => {
  const n = await node();
  await n.deploy(perKey('mover', 'm'));
  const key = { headers: { 'flick-key': 'k' } };
  await n.ask('mover', '/', key);
  const id = (await n.api('GET', '/instances')).json.find((i: { app: string }) => i.app === 'mover').id;
  let sent = 1;
  const failures: number[] = [];
  let running = true;
  const load = (async () => {
    while (running) {
      const r = await n.ask('mover', '/', key);
      sent++;
      if (r.status !== 200 || r.text !== `m:${sent}`) failures.push(r.status);
    }
  })();
  for (let i = 0; i < 10; i++) {
    const r = await n.api('POST', `/instances/${id}/migrate`, { to: (i + 1) % 2 });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  running = false;
  await load;
  assert.deepEqual(failures, []);
  assert.equal((await n.ask('mover', '/', key)).text, `m:${sent + 1}`);
});

test('a move whose restore fails: requests sent behind it are refused, never met by a fresh instance, and the instance goes back with its state', async () => {
  const n = await node();
  await n.deploy(perKey('returner', 'r'));
  for (let i = 0; i < 3; i++) await n.ask('returner', '/', { headers: { 'flick-key': 'k' } });
  const flick = n.daemon.node;
  const rec = [...flick.table.all()].find((r) => r.app === 'returner')!;
  const from = rec.scheduler;
  const to = (from + 1) % 2;
  flick.schedulers[to].unload(rec.release); // the restore there fails: the thread no longer has the release
  const request = { method: 'GET', url: '/', headers: [['flick-key', 'k']] as Array<[string, string]>, body: new Uint8Array() };
  const moving = flick.migrate(rec.id, to).then(() => null, (e: Error) => e);
  // Held during the snapshot, then sent to the new thread right behind the restore.
  const during = flick.dispatch('returner', request).then((r) => new TextDecoder().decode(r.body), (e: { code: string; httpStatus: number }) => e);
  const moveError = (await moving) as { code?: string } | null;
  assert.equal(moveError?.code, 'no_such_release', 'the move fails with the restore\'s error');
  const refused = (await during) as { code?: string; httpStatus?: number } | string;
  assert.ok(typeof refused !== 'string', `the request sent behind the failed restore was served (${String(refused)}): a fresh instance would have lost the count`);
  assert.equal(refused.code, 'no_such_instance');
  assert.equal(refused.httpStatus, 503);
  assert.equal(rec.scheduler, from, 'back on the scheduler it came from');
  assert.equal(rec.status, 'hibernated', 'on the move\'s snapshot until its next request');
  assert.equal((await n.ask('returner', '/', { headers: { 'flick-key': 'k' } })).text, 'r:4', 'woken with its state');
  assert.equal(rec.scheduler, from);
});

test('a move whose new scheduler is lost before the instance runs there: it comes back from the move\'s snapshot, state intact', async () => {
  buildCFixtures();
  const n = await node({ schedulers: 2, stallMs: 300 });
  await n.deploy(perKey('keeper', 'kp'));
  const sleeper = readFileSync(join(buildDir, 'process_io.wasm'));
  await n.deploy(encodeImage({ manifest: validateManifest({ name: 'sleeper', version: '1.0.0', runtime: 'wasm', abi: 'wagi', instances: { mode: 'per-key', key: { from: 'header', name: 'flick-key' } }, resources: { memoryMiB: 16, cpuMsPerCall: 100, deadlineMs: 20_000 } }, 'build'), code: sleeper }));
  for (let i = 0; i < 3; i++) await n.ask('keeper', '/', { headers: { 'flick-key': 'k' } });
  await n.ask('sleeper', '/', { headers: { 'flick-key': 's' } });
  const flick = n.daemon.node;
  const keeper = [...flick.table.all()].find((r) => r.app === 'keeper')!;
  const sleeperRec = [...flick.table.all()].find((r) => r.app === 'sleeper')!;
  const to = (keeper.scheduler + 1) % 2;
  if (sleeperRec.scheduler !== to) await flick.migrate(sleeperRec.id, to);
  // The new thread is stuck in a host call (until the watchdog replaces it) when the restore reaches it.
  const stuck = n.ask('sleeper', '/?--sleep-ms&10000', { headers: { 'flick-key': 's' } });
  await waitFor(() => flick.schedulers[to].outstanding > 0);
  const moved = await flick.migrate(keeper.id, to).then(() => null, (e: { code: string }) => e);
  assert.equal(moved?.code, 'scheduler_lost');
  assert.equal((await stuck).status, 503);
  assert.equal(flick.schedulers[to].replacements, 1);
  assert.equal((await n.ask('keeper', '/', { headers: { 'flick-key': 'k' } })).text, 'kp:4', 'back from the move\'s snapshot, not started afresh');
});

test('a scheduler stuck past the watchdog is replaced; its instances come back from their last snapshots', async () => {
  buildCFixtures();
  const n = await node({ schedulers: 1, stallMs: 300 });
  await n.deploy(perKey('keeper', 'kp'));
  // A sleep inside a host call: fuel cannot stop it, its deadline is far away; only the watchdog can.
  const sleeper = readFileSync(join(buildDir, 'process_io.wasm'));
  await n.deploy(encodeImage({ manifest: validateManifest({ name: 'sleeper', version: '1.0.0', runtime: 'wasm', abi: 'wagi', resources: { memoryMiB: 16, cpuMsPerCall: 100, deadlineMs: 20_000 } }, 'build'), code: sleeper }));
  const key = { headers: { 'flick-key': 'k' } };
  for (let i = 0; i < 2; i++) await n.ask('keeper', '/', key);
  const rec = [...n.daemon.node.table.all()].find((r) => r.app === 'keeper')!;
  await n.daemon.node.hibernate(rec); // the last snapshot: count 2
  assert.equal((await n.ask('keeper', '/', key)).text, 'kp:3');
  const t0 = Date.now();
  const stuck = await n.ask('sleeper', '/?--sleep-ms&10000');
  assert.equal(stuck.status, 503);
  assert.equal(JSON.parse(stuck.text).error, 'scheduler_lost');
  assert.ok(Date.now() - t0 < 5000, `the watchdog acted in ${Date.now() - t0} ms, not the 10 s sleep`);
  assert.equal(n.daemon.node.schedulers[0].replacements, 1);
  assert.equal((await n.ask('keeper', '/', key)).text, 'kp:3', 'back from its last snapshot (count 2), then served');
  const ps = (await n.api('GET', '/instances')).json.find((i: { app: string }) => i.app === 'keeper');
  assert.equal(ps.restarts, 1);
});

// The dashboard in Debian's headless Chromium against a real node: sign in with the token, watch
// live numbers move while traffic runs, find the instances the traffic made in the nodes →
// schedulers → instances view, scale a replicas app, roll an app back and see the switch.
// Screenshots go to test-output/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { installRoot } from '../../src/host/install-root.js';
import { exampleImage, get, startNode, warmSchedulers, type TestNode } from '../telemetry/_node.js';
import type { MemberInfo } from '../../src/cluster/membership.js';

const SHOTS = join(installRoot, 'test-output');
/** The per-key instances the traffic makes (one per key) and kv's pool as its manifest sets it. */
const COUNTER_KEYS = 5;
const KV_POOL = 2;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('dashboard in headless Chromium', { timeout: 180_000 }, () => {
  let node: TestNode;
  let browser: Browser;
  let page: Page;
  let traffic: Promise<void> | null = null;
  let running = true;

  before(async () => {
    const deps = spawnSync('bash', [join(installRoot, 'scripts/install-system-deps.sh'), 'chromium'], { stdio: 'inherit', timeout: 300_000 });
    assert.equal(deps.status, 0, 'chromium is installed');
    mkdirSync(SHOTS, { recursive: true });
    node = await startNode();
    // counter has no health check: deploying it loads a release the scheduler threads can be warmed with.
    await node.daemon.engine.deploy({ image: await exampleImage('counter') });
    await warmSchedulers(node, 'counter@1');
    const hello = await exampleImage('hello');
    await node.daemon.engine.deploy({ image: hello });
    await node.daemon.engine.deploy({ image: hello });
    // kv is the demo's replicas app (a pool of two): the one the scale action applies to.
    await node.daemon.engine.deploy({ image: await exampleImage('kv') });
    traffic = (async () => {
      for (let i = 0; running; i++) {
        await get(node, 'hello');
        await get(node, 'counter', '/', { 'flick-key': `k${i % COUNTER_KEYS}` });
        await get(node, 'kv', '/missing');
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1100 } })).newPage();
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    running = false;
    await traffic?.catch(() => {});
    await browser?.close();
    await node?.stop();
  });

  test('asks for the token, refuses a wrong one, and keeps the session in an HttpOnly cookie', async () => {
    const first = await page.goto(`${node.url}/_flick/`);
    assert.equal(first?.status(), 401);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=That token is not this node\'s token.');
    await page.fill('input[name=token]', node.daemon.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=total-rps]');
    assert.equal(new URL(page.url()).search, '', 'the token does not stay in the address bar');
    const [cookie] = await page.context().cookies();
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
  });

  test('live numbers change while traffic runs', async () => {
    const perMinute = async () => Number(await page.textContent('[data-testid=requests-minute]'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=total-rps]')?.textContent) > 0);
    const before = await perMinute();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=requests-minute]')?.textContent) > n, before);
    assert.ok((await perMinute()) > before);
    assert.ok(Number(await page.textContent('tr[data-app=hello] .rps')) > 0, 'hello shows a request rate');
    await page.waitForSelector('[data-scheduler] [data-instance^=counter-]');
    await page.waitForSelector('.chart canvas');
    await page.screenshot({ path: join(SHOTS, 'dashboard-live.png'), fullPage: true });
  });

  test('the topology view lists the node, its schedulers and the instances traffic created, each with its state', async () => {
    const schedulers = node.daemon.node.schedulers.length;
    // One more counter key, asked once and then hibernated: the traffic never wakes it.
    await get(node, 'counter', '/', { 'flick-key': 'idle' });
    const idle = [...node.daemon.node.table.all()].find((r) => r.app === 'counter' && r.key === 'idle')!;
    await node.daemon.node.hibernate(idle);
    assert.equal(idle.status, 'hibernated');
    await page.waitForFunction(([keys, pool, id]) => document.querySelectorAll('[data-scheduler] [data-instance^="counter-"]').length === keys
      && document.querySelectorAll('[data-scheduler] [data-instance^="kv-"]').length === pool
      && document.querySelector(`[data-instance="${id}"] .state`)?.textContent === 'hibernated', [COUNTER_KEYS + 1, KV_POOL, idle.id] as const);
    assert.match((await page.textContent(`[data-scheduler="${idle.scheduler}"] tr.group[data-release="counter@1"]`)) ?? '', /1 hibernated/);
    assert.deepEqual(await page.$$eval('[data-node]', (els) => els.map((e) => e.getAttribute('data-node'))), ['local'], 'one node when it runs alone');
    const head = (await page.textContent('[data-node=local] .node-head')) ?? '';
    assert.ok(head.includes(node.url), `the node's address ${node.url} is shown: ${head}`);
    assert.ok(head.includes(`${schedulers} schedulers`), head);
    assert.equal(await page.locator('[data-node=local] [data-scheduler]').count(), schedulers, 'one box per scheduler thread');
    // Every instance the node's table holds sits under its own scheduler, in its release's group, with its state.
    const table = node.daemon.node.table.view(performance.now());
    assert.equal(table.length, COUNTER_KEYS + 1 + KV_POOL, 'per-request hello leaves no instances behind');
    for (const i of table) {
      const row = page.locator(`[data-scheduler="${i.scheduler}"] [data-instance="${i.id}"]`);
      assert.equal(await row.count(), 1, `${i.id} is listed under scheduler ${i.scheduler}`);
      assert.equal(await row.locator('.state').textContent(), i.state);
      assert.equal(await row.locator('td').nth(1).textContent(), i.key);
    }
    for (const s of node.daemon.node.schedulers) {
      const count = table.filter((i) => i.scheduler === s.index).length;
      assert.equal(Number(await page.textContent(`[data-scheduler="${s.index}"] .count`)), count, `scheduler ${s.index} counts its instances`);
      // Each release's group counts its instances on this scheduler by state (placement decides which thread gets which).
      for (const release of new Set(table.filter((i) => i.scheduler === s.index).map((i) => i.release))) {
        const group = (await page.textContent(`[data-scheduler="${s.index}"] tr.group[data-release="${release}"]`)) ?? '';
        const inGroup = table.filter((i) => i.scheduler === s.index && i.release === release);
        for (const state of new Set(inGroup.map((i) => i.state))) {
          assert.ok(group.includes(`${inGroup.filter((i) => i.state === state).length} ${state}`), `${release} on scheduler ${s.index}: ${group}`);
        }
      }
    }
    // Scheduler load is the busy share since the last poll: the traffic keeps some thread busy.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-scheduler] .load')].some((e) => parseFloat(e.textContent ?? '') > 0));
    await page.locator('section.topology').screenshot({ path: join(SHOTS, 'dashboard-topology.png') });
  });

  test('scale sets a replicas app\'s pool from the dashboard and its instance count follows; other modes say why not', async () => {
    const helloScale = page.locator('tr[data-app=hello] button.scale');
    assert.equal(await helloScale.isDisabled(), true);
    assert.match((await helloScale.getAttribute('title')) ?? '', /hello runs per-request instances/);
    const kvInstances = () => page.textContent('tr[data-app=kv] .instances');
    assert.equal(await kvInstances(), String(KV_POOL));
    assert.match((await page.textContent('tr[data-app=kv] .mode')) ?? '', new RegExp(`^replicas\\s*pool ${KV_POOL}$`));

    // A count the node refuses: its message, naming the field, shows in the status line.
    page.once('dialog', (d) => void d.accept('0'));
    await page.click('tr[data-app=kv] button.scale');
    await page.waitForSelector('[data-testid=status].bad');
    assert.match((await page.textContent('[data-testid=status]')) ?? '', /'replicas'/);
    assert.equal(node.daemon.node.replicaCounts.get('kv'), undefined, 'nothing changed');

    const target = KV_POOL + 1;
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept(String(target));
    });
    await page.click('tr[data-app=kv] button.scale');
    await page.waitForFunction((n) => document.querySelector('tr[data-app=kv] .instances')?.textContent === String(n)
      && document.querySelectorAll('[data-scheduler] [data-instance^="kv-"]').length === n, target);
    assert.match(asked, new RegExp(`How many replicas should kv run\\? \\(now ${KV_POOL}\\)`));
    assert.match((await page.textContent('tr[data-app=kv] .mode')) ?? '', new RegExp(`pool ${target}$`));
    assert.match((await page.textContent('[data-testid=status]')) ?? '', new RegExp(`scale of kv to ${target} done`));
    assert.equal(node.daemon.node.replicaCounts.get('kv'), target);
    assert.equal((await node.daemon.registry.scale('kv'))?.replicas, target, 'stored, so it outlives restarts and deploys');
    assert.equal(node.daemon.node.table.view(performance.now()).filter((i) => i.app === 'kv').length, target);
    await page.screenshot({ path: join(SHOTS, 'dashboard-scale.png'), fullPage: true });
  });

  test('rollback from the dashboard switches the app back, and says so in the history', async () => {
    const release = () => page.textContent('tr[data-app=hello] .release');
    assert.match((await release()) ?? '', /^2\b/);
    // Without the dashboard header, the cookie alone does not authorize a change.
    const refused = await page.evaluate(async () => (await fetch('/_flick/api/apps/hello/rollback', { method: 'POST' })).status);
    assert.equal(refused, 401);
    page.once('dialog', (d) => void d.accept());
    await page.click('tr[data-app=hello] button.rollback');
    await page.waitForFunction(() => /^1\b/.test(document.querySelector('tr[data-app=hello] .release')?.textContent ?? ''));
    await page.waitForSelector('[data-deployment="hello#3"] .pill.succeeded');
    assert.match((await page.textContent('[data-deployment="hello#3"]')) ?? '', /rollback 2 → 1/);
    assert.equal((await get(node, 'hello')).status, 200);
    const route = await node.daemon.registry.route('hello');
    assert.equal(route?.record.release, 1);
    await page.screenshot({ path: join(SHOTS, 'dashboard-rollback.png'), fullPage: true });
  });

  test('in a cluster, every member is listed with its topology facts; one whose overview does not come through shows its facts and a link', async () => {
    // One real node: the second member is added to what GET /nodes answers the page.
    const members = (await (await fetch(`${node.url}/_flick/api/nodes`)).json()) as MemberInfo[];
    const peer: MemberInfo = {
      name: 'peer-b', address: 'http://10.0.0.2:7070', startedAt: new Date().toISOString(),
      topology: { hostId: 'feedc0ffee00', disk: '8:1', cacheGroups: ['0-3', '4-7'], numaNodes: [0, 1], zone: 'z2', rack: 'r7' },
      capacity: { memoryBytes: 8 * 2 ** 30, schedulers: 8 },
    };
    await page.route('**/_flick/api/nodes', (route) => route.fulfill({ json: [...members, peer] }));
    try {
      await page.waitForSelector('[data-node=peer-b]', { timeout: 15_000 });
      assert.deepEqual(await page.$$eval('[data-node]', (els) => els.map((e) => e.getAttribute('data-node'))), ['local', 'peer-b']);
      const card = (await page.textContent('[data-node=peer-b]')) ?? '';
      for (const fact of ['zone z2', 'rack r7', 'NUMA 0,1', 'CPUs 0-3 | 4-7', '8 schedulers', '8.0 GiB RAM']) assert.ok(card.includes(fact), `${fact} in ${card}`);
      // peer-b is not a real member: the node answers its overview 404, so the page has no schedulers to show for it.
      assert.equal(await page.locator('[data-node=peer-b] [data-scheduler]').count(), 0, 'no schedulers without its overview');
      assert.match(card, /did not come through this node/);
      assert.equal(await page.getAttribute('[data-node=peer-b] a', 'href'), 'http://10.0.0.2:7070/_flick/');
      assert.equal(await page.locator('[data-node=local] [data-scheduler]').count(), node.daemon.node.schedulers.length);
    } finally {
      await page.unroute('**/_flick/api/nodes');
    }
  });
});

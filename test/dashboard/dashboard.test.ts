// The dashboard in Debian's headless Chromium against a real node: sign in with the token, watch
// live numbers move while traffic runs, roll an app back and see the switch. Screenshots go to
// test-output/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { installRoot } from '../../src/host/install-root.js';
import { exampleImage, get, startNode, warmSchedulers, type TestNode } from '../telemetry/_node.js';

const SHOTS = join(installRoot, 'test-output');
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
    traffic = (async () => {
      for (let i = 0; running; i++) {
        await get(node, 'hello');
        await get(node, 'counter', '/', { 'flick-key': `k${i % 5}` });
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
});

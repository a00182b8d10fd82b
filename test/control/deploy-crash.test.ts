// Restart safety: kill -9 the node in the middle of a deploy, start it again: the app is fully on
// one release (here the old one: the kill came before the switch) and the history says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { blobId } from '../../src/control/blob-store.js';
import { counterWat, watImage } from '../support/wat-apps.js';

const bin = join(process.cwd(), 'packages', 'flick-cli', 'flick.mjs');

async function up(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'up', '--port', '0', '--data', dataDir, '--schedulers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 30 s:\n${out}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /flick ready (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`flick up exited with ${code}:\n${out}`)));
  });
  return { child, url };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await request(`${url}/_flick/api${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': body instanceof Uint8Array ? 'application/octet-stream' : 'application/json' },
    body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : null };
}

async function ask(url: string, app: string): Promise<string> {
  const res = await request(`${url}/`, { headers: { host: `${app}.localhost` } });
  return res.body.text();
}

test('kill -9 during a deploy: after restart the old release serves alone and the deploy is marked failed', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flick-crash-'));
  let node = await up(dataDir);
  try {
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    const deploy = async (image: Uint8Array, extra: Record<string, unknown> = {}) => {
      const id = blobId(image);
      assert.equal((await api(node.url, token, 'PUT', `/images/${id}`, image)).status, 201);
      return api(node.url, token, 'POST', '/deployments', { image: id, ...extra });
    };
    assert.equal((await deploy(watImage(counterWat('v1'), { name: 'crashy' }))).status, 200);
    assert.equal(await ask(node.url, 'crashy'), 'v1:1');

    // A long shadow phase keeps the deploy between start and switch; kill the node during it.
    const pending = deploy(watImage(counterWat('v2'), { name: 'crashy' }), { shadowPct: 100, shadowMs: 60_000 }).catch(() => null);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const history = (await api(node.url, token, 'GET', '/apps/crashy/deployments')).json as Array<{ phases: Array<{ name: string }> }>;
      if (history.length === 2 && history[1].phases.some((p) => p.name === 'shadow')) break;
      assert.ok(Date.now() < deadline, 'the second deploy reached its shadow phase');
      await new Promise((r) => setTimeout(r, 50));
    }
    const nodePid = Number(readFileSync(join(dataDir, 'lock'), 'utf8'));
    node.child.kill('SIGKILL'); // the node process itself dies with it (see packages/flick-cli/flick.mjs)
    await pending;
    for (const end = Date.now() + 10_000; alive(nodePid); ) {
      assert.ok(Date.now() < end, `the node process ${nodePid} died with the command that started it`);
      await new Promise((r) => setTimeout(r, 20));
    }

    node = await up(dataDir);
    assert.equal(await ask(node.url, 'crashy'), 'v1:1', 'the old release serves');
    const history = (await api(node.url, token, 'GET', '/apps/crashy/deployments')).json as Array<{ status: string; reason?: string }>;
    assert.equal(history[1].status, 'failed');
    assert.match(history[1].reason!, /interrupted by a restart/);
    const route = (await api(node.url, token, 'GET', '/apps/crashy')).json.route;
    assert.equal(route.release, 1);
  } finally {
    node.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

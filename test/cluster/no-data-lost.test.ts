// No data lost with a node: two `flick up --etcd` processes (the compiled CLI, as an operator runs
// it), a per-key app writing to its KV on every request, the key's owner killed with SIGKILL while
// clients keep writing through the other node. Every write answered 204 must be readable after the
// key re-homed — on the surviving node, and on a node that joins afterwards. Then a per-key
// counter (state in instance memory) whose owner is killed once its checkpoint interval has
// passed comes back on the survivor with its count.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { NodeProcess } from '../../bench/_node-process.js';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';
import { examplesDir } from '../../src/host/install-root.js';
import { ownerOf } from '../../src/cluster/rendezvous.js';
import { counterWat, watImage } from '../support/wat-apps.js';

let etcd: EtcdServer;
const nodes: NodeProcess[] = [];

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
  await etcd?.stop();
});

/** examples/kv (GET/PUT/DELETE /KEY on namespace "data"), one instance per `x-key`. */
function kvPerKeyImage(): Uint8Array {
  const code = readFileSync(join(examplesDir, 'kv', 'build', 'kv.wasm'));
  const manifest = validateManifest({ name: 'ledger', version: '1.0.0', runtime: 'wasm', abi: 'flick', resources: { memoryMiB: 2, cpuMsPerCall: 20, deadlineMs: 1000 }, instances: { mode: 'per-key', key: { from: 'header', name: 'x-key' } }, capabilities: { kv: ['data'] } }, 'build');
  return encodeImage({ manifest, code });
}

async function start(name: string): Promise<NodeProcess> {
  const n = await NodeProcess.start({ schedulers: 1, cluster: { etcd: etcd.endpoint, name } });
  nodes.push(n);
  return n;
}

async function ask(pool: Pool, method: 'GET' | 'PUT', path: string, key: string, body?: string): Promise<{ status: number; text: string }> {
  try {
    const res = await pool.request({ method, path, headers: { host: 'ledger.localhost', 'x-key': key }, body, headersTimeout: 10_000, bodyTimeout: 10_000 });
    return { status: res.statusCode, text: await res.body.text() };
  } catch (e) {
    return { status: 0, text: (e as Error).message };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('acknowledged KV writes and checkpointed instance state survive a kill -9 of the key\'s owner', { timeout: 180_000 }, async () => {
  const a = await start('dl-a');
  const b = await start('dl-b');
  const deployed = await a.deploy(kvPerKeyImage());
  assert.equal(deployed.status, 'succeeded');
  const viaA = new Pool(a.url, { connections: 8 });
  const viaB = new Pool(b.url, { connections: 2 });
  try {
    // The key whose owner dies: one that node dl-b owns while both are up.
    const KEY = Array.from({ length: 100 }, (_, i) => `acct-${i}`).find((k) => ownerOf(`ledger/${k}`, ['dl-a', 'dl-b']) === 'dl-b')!;
    for (let t = Date.now(); (await ask(viaB, 'GET', '/probe', KEY)).status !== 404; ) {
      assert.ok(Date.now() - t < 30_000, 'dl-b serves the app');
      await sleep(100);
    }

    const acked = new Map<string, string>();
    let killedAt = 0;
    let running = true;
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const writer = async (w: number) => {
      for (let i = 0; running; i++) {
        const path = `/w${w}-${i}`;
        const value = `value of ${path} @${Date.now()}`;
        const r = await ask(viaA, 'PUT', path, KEY, value);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 204) acked.set(path, value);
        else {
          if (failures.length < 5) failures.push(`${killedAt ? 'after' : 'before'} the kill: ${r.status} ${r.text}`);
          await sleep(20);
        }
      }
    };
    const writers = [writer(0), writer(1), writer(2)];
    let beforeKill = 0;
    try {
      for (const t = Date.now(); acked.size < 30 && Date.now() - t < 30_000; ) await sleep(50);
      beforeKill = acked.size;
      killedAt = Date.now();
      await b.kill();
      // The lease TTL passes, the key re-homes on dl-a, and the writes go on there.
      for (const t = Date.now(); Date.now() - t < 30_000 && acked.size - beforeKill < 30; ) await sleep(250);
    } finally {
      running = false;
      await Promise.all(writers);
    }
    console.log(`# ${beforeKill} writes acknowledged before the kill, ${acked.size} in all; answers: ${JSON.stringify(Object.fromEntries(statuses))}; first failures: ${failures.join(' | ')}`);
    assert.ok(beforeKill > 20, `writes were acknowledged by the owner before it died (${beforeKill})`);
    assert.ok(acked.size - beforeKill >= 30, 'the key re-homed and writes were acknowledged again');

    for (const [path, value] of acked) {
      const r = await ask(viaA, 'GET', path, KEY);
      assert.equal(r.status, 200, `${path} after the kill: ${r.status} ${r.text}`);
      assert.equal(r.text, value);
    }

    // A node that joins afterwards has the same data (and may now own the key).
    const c = await start('dl-c');
    const viaC = new Pool(c.url, { connections: 4 });
    try {
      for (let t = Date.now(); (await ask(viaC, 'GET', '/probe', KEY)).status !== 404; ) {
        assert.ok(Date.now() - t < 30_000, 'dl-c serves the app');
        await sleep(100);
      }
      for (const [path, value] of acked) {
        const r = await ask(viaC, 'GET', path, KEY);
        assert.equal(r.status, 200, `${path} via dl-c: ${r.status} ${r.text}`);
        assert.equal(r.text, value);
      }

      // Instance memory: checkpointed to the key's successor every second.
      const tally = watImage(counterWat('tally'), { name: 'tally', instances: { mode: 'per-key', key: { from: 'header', name: 'x-key' } } });
      assert.equal((await a.deploy(tally)).status, 'succeeded');
      const K2 = Array.from({ length: 100 }, (_, i) => `t-${i}`).find((k) => ownerOf(`tally/${k}`, ['dl-a', 'dl-c']) === 'dl-c')!;
      const count = async (pool: Pool) => {
        const r = await pool.request({ method: 'GET', path: '/', headers: { host: 'tally.localhost', 'x-key': K2 }, headersTimeout: 10_000 });
        return { status: r.statusCode, text: await r.body.text() };
      };
      for (let t = Date.now(); (await count(viaC)).status !== 200; ) {
        assert.ok(Date.now() - t < 30_000, 'dl-c serves tally');
        await sleep(100);
      }
      // That first answer was count 1; 24 more through the node that survives.
      for (let i = 2; i <= 25; i++) assert.equal((await count(viaA)).text, `tally:${i}`);
      await sleep(3000);
      await c.kill();
      let after = { status: 0, text: '' };
      for (const t = Date.now(); after.status !== 200 && Date.now() - t < 30_000; ) {
        after = await count(viaA).catch((e: Error) => ({ status: 0, text: e.message }));
        if (after.status !== 200) await sleep(200);
      }
      assert.equal(after.text, 'tally:26', 'the key came back on dl-a from its checkpoint, count intact');
    } finally {
      await viaC.close();
    }
  } finally {
    await viaA.close();
    await viaB.destroy();
  }
});

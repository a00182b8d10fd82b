// `flick migrate INSTANCE --to NODE` (POST /_flick/api/instances/ID/move) of a live per-key
// instance while clients keep sending to its key through both nodes: no request fails, every
// answer is the next count (none lost, none served by a stale copy), the key stays pinned where it
// was sent, and the move's pause is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { TestNode } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';
import { allSee, etcdCluster, holderOf, instanceIdOf, perKeyCounter } from '../support/cluster.js';

const cluster = etcdCluster();

test('a live instance moves between nodes under load: no failed request, state intact, key pinned', { timeout: 120_000 }, async () => {
  const a = await cluster.member('mig-a');
  const b = await cluster.member('mig-b');
  const members = new Map([['mig-a', a], ['mig-b', b]]);
  await allSee([a, b], 2);
  await a.deploy(perKeyCounter('mig'));
  const KEY = 'hot';
  await waitFor(async () => (await b.ask('mig', '/', { headers: { 'x-key': 'warm' } })).status === 200, 15_000);
  assert.equal((await a.ask('mig', '/', { headers: { 'x-key': KEY } })).text, 'mig:1');

  const counts: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = async (via: TestNode) => {
    while (running) {
      const r = await via.ask('mig', '/', { headers: { 'x-key': KEY } }).catch((e: Error) => ({ status: 0, text: e.message, headers: {} }));
      if (r.status === 200) counts.push(Number(r.text.slice('mig:'.length)));
      else failures.push(`${r.status} ${r.text}`);
    }
  };
  const loops = [loop(a), loop(b), loop(a), loop(b)];
  const pauses: number[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const [from] = await holderOf(members, 'mig', KEY);
      const to = from === 'mig-a' ? 'mig-b' : 'mig-a';
      const holder = members.get(from)!;
      const id = await instanceIdOf(holder, 'mig', KEY);
      const moved = await holder.api('POST', `/instances/${id}/move`, { node: to });
      assert.equal(moved.status, 200, JSON.stringify(moved.json));
      assert.equal(moved.json.node, to);
      pauses.push(moved.json.pauseMs);
      assert.deepEqual(await holderOf(members, 'mig', KEY), [to], 'the instance is on the node it was sent to, and only there');
    }
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    running = false;
    await Promise.all(loops);
  }
  assert.deepEqual(failures, []);
  const sorted = [...counts].sort((x, y) => x - y);
  assert.ok(sorted.length > 20, `the load ran (${sorted.length} answers)`);
  sorted.forEach((n, i) => assert.equal(n, i + 2, 'every answer is the next count: none lost, none from a stale copy'));
  console.log(`# cross-node move pauses (ms): ${pauses.map((p) => p.toFixed(2)).join(' ')}`);

  // The last move pinned the key: both nodes send it there (not to its rendezvous owner).
  const [last] = await holderOf(members, 'mig', KEY);
  await waitFor(() => a.daemon.dataPath!.directory.ownerOf('mig', KEY) === last && b.daemon.dataPath!.directory.ownerOf('mig', KEY) === last, 5000);

  // Errors name the problem.
  const unknownNode = await a.api('POST', `/instances/nope-1/move`, { node: 'mig-b' });
  assert.equal(unknownNode.status, 404);
  const holder = members.get(last)!;
  const id = await instanceIdOf(holder, 'mig', KEY);
  const noSuchNode = await holder.api('POST', `/instances/${id}/move`, { node: 'mig-z' });
  assert.equal(noSuchNode.status, 404);
  assert.match(noSuchNode.json.message, /mig-z is not a live member/);

  // The CLI (compiled, as an operator runs it): --to with a node name moves between nodes.
  const other = last === 'mig-a' ? 'mig-b' : 'mig-a';
  // Asynchronously: the nodes it talks to run in this process.
  const cli = await promisify(execFile)(process.execPath, [join(process.cwd(), 'packages', 'flick-cli', 'flick.mjs'), 'migrate', id, '--to', other, '--server', holder.daemon.url, '--token', holder.daemon.token, '--json'], { encoding: 'utf8', timeout: 60_000 });
  const out = JSON.parse(cli.stdout) as { node: string; instance: string; pauseMs: number };
  assert.equal(out.node, other);
  assert.deepEqual(await holderOf(members, 'mig', KEY), [other]);
  assert.equal((await members.get(other)!.ask('mig', '/', { headers: { 'x-key': KEY } })).text, `mig:${sorted.length + 2}`, 'the count goes on after the CLI move');
});

// A node's view of the placer's replica assignments, over the real embedded store.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../../src/control/store/embedded/embedded-store.js';
import { AssignmentFollower, assignKey, type AssignmentRecord } from '../../src/cluster/assignments.js';
import type { Store } from '../../src/control/store/store.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * The real store, whose reads of the whole prefix can be held back after they were taken: a slow
 * answer that arrives after the watch has already delivered a newer write (what etcd does when a
 * node re-joins while the placer is writing).
 */
async function storeWithSlowReads(): Promise<{ store: Store; hold(): void; release(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'flick-assign-'));
  dirs.push(dir);
  const real = await openEmbeddedStore({ dataDir: dir });
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'list') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<Store['list']>) => {
        const read = await target.list(...args);
        if (gate) await gate;
        return read;
      };
    },
  }) as Store;
  return {
    store,
    hold: () => (gate = new Promise<void>((r) => (open = r))),
    release: () => {
      gate = null;
      open();
    },
  };
}

const record = (replicas: Array<string | null>): AssignmentRecord => ({ app: 'pool', replicas, memoryBytes: 1 << 24, unplaced: replicas.includes(null) ? 'no room' : null, placer: { node: 'n3', token: 1 }, at: new Date().toISOString() });
const enc = (r: AssignmentRecord) => new TextEncoder().encode(JSON.stringify(r));

function host(): { hosted: Map<string, readonly number[] | null>; hostReplicas(app: string, indices: readonly number[] | null): Promise<void> } {
  const hosted = new Map<string, readonly number[] | null>();
  return { hosted, hostReplicas: async (app, indices) => void hosted.set(app, indices) };
}

test('hosts this node\'s replicas; hosts none while fenced, and again once back', async () => {
  const s = await storeWithSlowReads();
  await s.store.put(assignKey('pool'), enc(record(['n1', 'n2', 'n1'])));
  const h = host();
  const f = new AssignmentFollower(s.store, 'n1', h);
  await f.start();
  assert.deepEqual(f.local('pool'), [0, 2]);
  assert.deepEqual(h.hosted.get('pool'), [0, 2]);
  assert.deepEqual(f.peers('pool'), ['n2']);
  f.fence();
  assert.deepEqual(f.local('pool'), []);
  assert.deepEqual(h.hosted.get('pool'), []);
  await s.store.put(assignKey('pool'), enc(record(['n2', 'n2', 'n1'])));
  await waitFor(() => f.get('pool')?.replicas[0] === 'n2');
  assert.deepEqual(h.hosted.get('pool'), [], 'still fenced');
  f.unfence();
  assert.deepEqual(f.local('pool'), [2]);
  assert.deepEqual(h.hosted.get('pool'), [2]);
  await f.stop();
  await s.store.close();
});

test('coming back into the cluster never moves the view back to an older assignment (the chaos run\'s `unplaced`)', async () => {
  const s = await storeWithSlowReads();
  const h = host();
  const f = new AssignmentFollower(s.store, 'n1', h);
  await f.start();
  f.fence();
  // The placer, re-placing as the members come back: first with no room anywhere, then everywhere.
  await s.store.put(assignKey('pool'), enc(record([null, null, null])));
  await waitFor(() => f.get('pool') !== undefined);
  s.hold(); // a read of the prefix taken now answers late...
  const back = Promise.resolve(f.unfence());
  await s.store.put(assignKey('pool'), enc(record(['n1', 'n2', 'n3'])));
  await waitFor(() => f.get('pool')?.replicas[0] === 'n1');
  s.release(); // ...after the watch delivered the newer one
  await back;
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(f.get('pool')?.replicas, ['n1', 'n2', 'n3'], 'the view went back to an assignment the placer had replaced');
  assert.deepEqual(f.local('pool'), [0]);
  assert.deepEqual(h.hosted.get('pool'), [0]);
  await f.stop();
  await s.store.close();
});

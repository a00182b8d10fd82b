/**
 * What the etcd backend does when etcd misbehaves — the failure modes the embedded backend does
 * not have: a hung server gives `unavailable` within the request timeout, a watch survives a
 * server restart without gaps or duplicates, and a lease holder that cannot reach etcd learns
 * its lease is lost no later than its TTL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isStoreError } from '../../src/control/store/errors.js';
import { openEtcdStore } from '../../src/control/store/etcd/etcd-store.js';
import type { Store } from '../../src/control/store/store.js';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { assertQuiet, take, within } from './watch-events.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('etcd store under faults', { timeout: 60_000 }, () => {
  let server: EtcdServer;
  let store: Store;

  before(async () => {
    server = await startEtcd();
    store = await openEtcdStore({ endpoints: [server.endpoint], requestTimeoutMs: 500, watchRetryMs: 100 });
  });
  after(async () => {
    await store?.close();
    await server?.stop();
  });

  test('a paused server gives unavailable within the request timeout, and recovers', async () => {
    server.pause();
    try {
      const started = Date.now();
      await assert.rejects(store.get('/faults/k'), (e) => isStoreError(e, 'unavailable'));
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    } finally {
      server.resume();
    }
    await store.put('/faults/k', bytes('back'));
    assert.ok(await store.get('/faults/k'));
  });

  test('a watch resumes across a hard restart without gaps or duplicates', async () => {
    const watch = await store.watch('/faults/w/');
    const written: number[] = [];
    for (let i = 0; i < 5; i++) written.push(await store.put(`/faults/w/${i}`, bytes(String(i))));
    await server.restart({ hard: true });
    for (let i = 5; i < 10; i++) written.push(await store.put(`/faults/w/${i}`, bytes(String(i))));
    assert.deepEqual((await take(watch, written.length, 15_000)).map((e) => e.revision), written);
    await assertQuiet(watch);
    await watch.close();
  });

  test('a holder cut off from etcd learns its lease is lost within the TTL', async () => {
    const lease = await store.grantLease(1_000, { keepAlive: true });
    const lost = new Promise<number>((resolve) => lease.onExpire(() => resolve(Date.now())));
    const cutAt = Date.now();
    server.pause();
    try {
      const at = await within(lost, 5_000, 'the lease holder never noticed');
      assert.ok(at - cutAt <= lease.ttlMs + 100, `lease loss noticed after ${at - cutAt} ms`);
    } finally {
      server.resume();
    }
  });
});

/**
 * One suite, run unchanged against every Store backend. A backend supplies only how to open
 * clients; every test works under its own key prefix, so backends that share one server (etcd)
 * see no interference between tests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { openEmbeddedStore } from '../../src/control/store/embedded/embedded-store.js';
import { isStoreError, type StoreErrorCode } from '../../src/control/store/errors.js';
import { openEtcdStore } from '../../src/control/store/etcd/etcd-store.js';
import type { Store, WatchEvent } from '../../src/control/store/store.js';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { assertQuiet, take, within } from './watch-events.js';

interface Backend {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  open(): Promise<Store>;
  /** Another client onto the same data as `store`, for races between clients. */
  peer(store: Store): Promise<Store>;
  /** Close `store` and open its data again (only backends with local data). */
  reopen?(store: Store): Promise<Store>;
}

function embeddedBackend(): Backend {
  let root = '';
  let count = 0;
  const dirs = new WeakMap<Store, string>();
  const openAt = async (dir: string) => {
    const store = await openEmbeddedStore({ dataDir: dir });
    dirs.set(store, dir);
    return store;
  };
  return {
    name: 'embedded',
    async setUp() {
      root = mkdtempSync(join(tmpdir(), 'flick-store-'));
    },
    async tearDown() {
      rmSync(root, { recursive: true, force: true });
    },
    open: () => openAt(join(root, `store-${++count}`)),
    // One client per data directory by design: concurrency comes from concurrent calls.
    peer: async (store) => store,
    async reopen(store) {
      await store.close();
      return openAt(dirs.get(store)!);
    },
  };
}

function etcdBackend(): Backend {
  let server: EtcdServer | undefined;
  return {
    name: 'etcd',
    async setUp() {
      server = await startEtcd();
    },
    async tearDown() {
      await server?.stop();
    },
    open: () => openEtcdStore({ endpoints: [server!.endpoint] }),
    peer: () => openEtcdStore({ endpoints: [server!.endpoint] }),
  };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejectsWith(code: StoreErrorCode, action: () => Promise<unknown>): Promise<void> {
  await assert.rejects(action, (e: unknown) => {
    assert.ok(isStoreError(e, code), `expected StoreError ${code}, got ${String(e)}`);
    assert.ok((e as { hint: string }).hint.length > 0);
    return true;
  });
}

const summary = (e: WatchEvent) => `${e.type} ${e.key}${e.type === 'put' ? `=${text(e.value)}` : ''}`;

for (const backend of [embeddedBackend(), etcdBackend()]) {
  describe(`Store conformance: ${backend.name}`, { timeout: 60_000 }, () => {
    const opened: Store[] = [];
    let testCount = 0;
    let ns = '';
    const open = async () => {
      const store = await backend.open();
      opened.push(store);
      return store;
    };

    before(() => backend.setUp());
    after(() => backend.tearDown());
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    // A fresh prefix per test; the trailing byte keeps `/t1/` from matching `/t10/`.
    const fresh = () => (ns = `/conformance/t${++testCount}/`);

    test('get, put and delete with per-key revisions', async () => {
      fresh();
      const store = await open();
      const key = `${ns}app`;
      assert.equal(await store.get(key), undefined);
      const r1 = await store.put(key, bytes('v1'));
      assert.ok(r1 > 0);
      let kv = await store.get(key);
      assert.deepEqual(kv && { ...kv, value: text(kv.value) }, { key, value: 'v1', revision: r1, createRevision: r1, version: 1 });
      const r2 = await store.put(key, bytes('v2'));
      assert.ok(r2 > r1);
      kv = await store.get(key);
      assert.deepEqual(kv && [text(kv.value), kv.revision, kv.createRevision, kv.version], ['v2', r2, r1, 2]);
      const deleted = await store.delete(key);
      assert.ok(deleted.ok && deleted.revision > r2);
      assert.equal(await store.get(key), undefined);
      assert.equal(await store.revision(), deleted.revision);
      // Deleting an absent key succeeds and changes nothing, not even the revision.
      assert.deepEqual(await store.delete(key), { ok: true, revision: deleted.revision });
      const r3 = await store.put(key, bytes('again'));
      kv = await store.get(key);
      assert.deepEqual(kv && [kv.createRevision, kv.version], [r3, 1], 'a re-created key starts over');
    });

    test('revisions only grow, and revision() reports the last one', async () => {
      fresh();
      const store = await open();
      const revisions: number[] = [];
      for (let i = 0; i < 20; i++) revisions.push(await store.put(`${ns}k${i % 3}`, bytes(String(i))));
      for (let i = 1; i < revisions.length; i++) assert.ok(revisions[i] > revisions[i - 1]);
      assert.equal(await store.revision(), revisions.at(-1));
    });

    test('compare-and-swap by revision', async () => {
      fresh();
      const store = await open();
      const key = `${ns}route`;
      const created = await store.putIf(key, bytes('a'), 0);
      assert.ok(created.ok);
      const again = await store.putIf(key, bytes('b'), 0);
      assert.ok(!again.ok && again.current && text(again.current.value) === 'a', 'create-if-absent fails on an existing key');
      const updated = await store.putIf(key, bytes('c'), created.revision);
      assert.ok(updated.ok);
      const stale = await store.putIf(key, bytes('d'), created.revision);
      assert.ok(!stale.ok);
      assert.equal(stale.current?.revision, updated.revision);
      assert.equal(text(stale.current!.value), 'c');
      const missing = await store.putIf(`${ns}absent`, bytes('x'), 5);
      assert.deepEqual(missing, { ok: false, current: undefined });
      const staleDelete = await store.delete(key, { expectedRevision: created.revision });
      assert.ok(!staleDelete.ok);
      assert.equal(text((await store.get(key))!.value), 'c');
      assert.ok((await store.delete(key, { expectedRevision: updated.revision })).ok);
      assert.equal(await store.get(key), undefined);
      await rejectsWith('invalid_request', () => store.putIf(key, bytes('x'), -1));
    });

    test('create-if-absent race between two clients: exactly one wins', async () => {
      fresh();
      const a = await open();
      const b = await backend.peer(a);
      if (b !== a) opened.push(b);
      for (let i = 0; i < 10; i++) {
        const key = `${ns}leader-${i}`;
        const [ra, rb] = await Promise.all([a.putIf(key, bytes('a'), 0), b.putIf(key, bytes('b'), 0)]);
        assert.equal(Number(ra.ok) + Number(rb.ok), 1, `round ${i}: exactly one client creates the key`);
        const loser = ra.ok ? rb : ra;
        const winner = ra.ok ? 'a' : 'b';
        assert.ok(!loser.ok && loser.current && text(loser.current.value) === winner);
        assert.equal(text((await b.get(key))!.value), winner);
      }
    });

    test('transactions are all-or-nothing', async () => {
      fresh();
      const store = await open();
      const [blue, green, active] = [`${ns}blue`, `${ns}green`, `${ns}active`];
      const rBlue = await store.put(blue, bytes('v1'));
      const rActive = await store.put(active, bytes('blue'));
      const switched = await store.transact({
        conditions: [
          { key: active, revision: rActive },
          { key: green, revision: 0 },
        ],
        writes: [
          { op: 'put', key: green, value: bytes('v2') },
          { op: 'put', key: active, value: bytes('green') },
          { op: 'delete', key: blue },
        ],
      });
      assert.ok(switched.ok);
      const [g, a] = [await store.get(green), await store.get(active)];
      assert.equal(g?.revision, switched.revision, 'all writes share one revision');
      assert.equal(a?.revision, switched.revision);
      assert.equal(text(a!.value), 'green');
      assert.equal(await store.get(blue), undefined);

      const before = await store.revision();
      const refused = await store.transact({
        conditions: [
          { key: active, revision: switched.revision },
          { key: blue, revision: rBlue }, // stale: blue was deleted
        ],
        writes: [
          { op: 'put', key: active, value: bytes('blue') },
          { op: 'put', key: `${ns}new`, value: bytes('x') },
        ],
      });
      assert.deepEqual(refused, { ok: false, conflicts: [{ key: blue, current: undefined }] });
      assert.equal(text((await store.get(active))!.value), 'green');
      assert.equal(await store.get(`${ns}new`), undefined);
      assert.equal(await store.revision(), before, 'a refused transaction writes nothing');

      await rejectsWith('invalid_request', () =>
        store.transact({ conditions: [], writes: [{ op: 'put', key: green, value: bytes('1') }, { op: 'delete', key: green }] }),
      );
    });

    test('list by prefix: sorted by key bytes, prefix boundaries respected, limit', async () => {
      fresh();
      const store = await open();
      // UTF-8 byte order differs from JS string order here: "Ａ" (EF BC A1) < "😀" (F0 9F 98 80).
      const keys = ['b/2', 'a', 'b/1', 'ba', 'c', '\u{1F600}', '\uFF21', 'b'];
      for (const k of keys) await store.put(`${ns}${k}`, bytes(k));
      await store.put(`${ns.slice(0, -1)}x`, bytes('outside: shares the prefix without the slash'));
      const listed = async (p: string, limit?: number) =>
        (await store.list(`${ns}${p}`, limit === undefined ? undefined : { limit })).map((kv) => kv.key.slice(ns.length));
      assert.deepEqual(await listed(''), ['a', 'b', 'b/1', 'b/2', 'ba', 'c', '\uFF21', '\u{1F600}']);
      assert.deepEqual(await listed('b'), ['b', 'b/1', 'b/2', 'ba']);
      assert.deepEqual(await listed('b/'), ['b/1', 'b/2']);
      assert.deepEqual(await listed('', 3), ['a', 'b', 'b/1']);
      assert.deepEqual(await listed('zzz'), []);
      const [first] = await store.list(`${ns}a`);
      assert.equal(text(first.value), 'a');
    });

    test('watch delivers every change in revision order', async () => {
      fresh();
      const store = await open();
      const watch = await store.watch(ns);
      await store.put(`${ns.slice(0, -1)}-sibling`, bytes('not under the prefix'));
      const puts = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.put(`${ns}k${i % 7}`, bytes(String(i))).then((revision) => ({ i, revision }))),
      );
      const events = await take(watch, 100);
      const expected = puts.sort((x, y) => x.revision - y.revision).map(({ i, revision }) => `put ${ns}k${i % 7}=${i} @${revision}`);
      assert.deepEqual(events.map((e) => `${summary(e)} @${e.revision}`), expected);
      await assertQuiet(watch);
      await watch.close();
    });

    test('watch from a past revision replays exactly the missed events, then continues live', async () => {
      fresh();
      const store = await open();
      const revisions: number[] = [];
      for (let i = 0; i < 6; i++) revisions.push(await store.put(`${ns}k`, bytes(String(i))));
      const watch = await store.watch(ns, { fromRevision: revisions[3] });
      const replayed = await take(watch, 3);
      assert.deepEqual(replayed.map((e) => e.revision), revisions.slice(3));
      assert.deepEqual(replayed.map(summary), ['3', '4', '5'].map((v) => `put ${ns}k=${v}`));
      const live = await store.put(`${ns}k`, bytes('6'));
      assert.deepEqual((await take(watch, 1)).map((e) => e.revision), [live]);
      await watch.close();

      // Resume after a gap with lastSeen + 1: no gaps, no duplicates.
      const missed = [await store.put(`${ns}k`, bytes('7')), await store.put(`${ns}j`, bytes('8'))];
      const resumed = await store.watch(ns, { fromRevision: live + 1 });
      assert.deepEqual((await take(resumed, 2)).map((e) => e.revision), missed);
      await assertQuiet(resumed);
      await resumed.close();
    });

    test('watch sees deletes, and a transaction as events sharing one revision', async () => {
      fresh();
      const store = await open();
      const watch = await store.watch(ns);
      const rPut = await store.put(`${ns}a`, bytes('1'));
      const removed = await store.delete(`${ns}a`);
      await store.delete(`${ns}never-existed`);
      const txn = await store.transact({
        conditions: [],
        writes: [
          { op: 'put', key: `${ns}b`, value: bytes('2') },
          { op: 'put', key: `${ns}c`, value: bytes('3') },
        ],
      });
      assert.ok(removed.ok && txn.ok);
      const events = await take(watch, 4);
      assert.deepEqual(
        events.map((e) => `${summary(e)} @${e.revision}`),
        [`put ${ns}a=1 @${rPut}`, `delete ${ns}a @${removed.revision}`, `put ${ns}b=2 @${txn.revision}`, `put ${ns}c=3 @${txn.revision}`],
      );
      await watch.close();
    });

    test('watch from a compacted revision fails with a typed error', async () => {
      fresh();
      const store = await open();
      const first = await store.put(`${ns}k`, bytes('1'));
      await store.put(`${ns}k`, bytes('2'));
      const third = await store.put(`${ns}k`, bytes('3'));
      await store.compact(third);
      const tooOld = await store.watch(ns, { fromRevision: first });
      await rejectsWith('compacted', () => take(tooOld, 1));
      const kept = await store.watch(ns, { fromRevision: third });
      assert.deepEqual((await take(kept, 1)).map(summary), [`put ${ns}k=3`]);
      await kept.close();
      await store.compact(first); // compacting again, behind the current bound, is harmless
      await rejectsWith('invalid_request', async () => store.compact((await store.revision()) + 10));
      await rejectsWith('invalid_request', () => store.watch(ns, { fromRevision: 0 }));
    });

    test('an expired lease removes its keys with delete events', async () => {
      fresh();
      const store = await open();
      const lease = await store.grantLease(1_000);
      let expired = 0;
      lease.onExpire(() => expired++);
      await store.put(`${ns}node-a`, bytes('up'), { lease: lease.id });
      await store.put(`${ns}durable`, bytes('stays'));
      assert.equal((await store.get(`${ns}node-a`))?.lease, lease.id);
      const watch = await store.watch(ns);
      const [gone] = await take(watch, 1, 6_000);
      assert.equal(summary(gone), `delete ${ns}node-a`);
      assert.equal(await store.get(`${ns}node-a`), undefined);
      assert.ok(await store.get(`${ns}durable`));
      await sleep(50);
      assert.equal(expired, 1);
      await rejectsWith('lease_expired', () => lease.keepAlive());
      await rejectsWith('lease_expired', () => store.put(`${ns}late`, bytes('x'), { lease: lease.id }));
      await watch.close();
    });

    test('keep-alive keeps a lease, revoke removes its keys at once', async () => {
      fresh();
      const store = await open();
      const automatic = await store.grantLease(1_000, { keepAlive: true });
      const manual = await store.grantLease(1_000);
      let expired = 0;
      automatic.onExpire(() => expired++);
      manual.onExpire(() => expired++);
      await store.put(`${ns}auto`, bytes('1'), { lease: automatic.id });
      await store.put(`${ns}manual`, bytes('2'), { lease: manual.id });
      for (let i = 0; i < 8; i++) {
        await sleep(300);
        await manual.keepAlive();
      }
      assert.ok(await store.get(`${ns}auto`), 'automatic keep-alive held the key past its TTL');
      assert.ok(await store.get(`${ns}manual`), 'manual keep-alive held the key past its TTL');
      const watch = await store.watch(ns);
      await automatic.revoke();
      await manual.revoke();
      assert.deepEqual((await take(watch, 2)).map(summary).sort(), [`delete ${ns}auto`, `delete ${ns}manual`]);
      assert.equal(expired, 0, 'revoking is not expiring');
      await rejectsWith('lease_expired', () => manual.keepAlive());
      await watch.close();
    });

    test('close ends watches and refuses further calls', async () => {
      fresh();
      const store = await open();
      const watch = await store.watch(ns);
      const ended = (async () => {
        for await (const event of watch) assert.fail(`unexpected ${summary(event)}`);
        return 'ended';
      })();
      await store.close();
      assert.equal(await within(ended, 2_000, 'the watch did not end when the store closed'), 'ended');
      await rejectsWith('closed', () => store.get(`${ns}k`));
      await rejectsWith('closed', () => store.put(`${ns}k`, bytes('x')));
      await rejectsWith('closed', () => store.watch(ns));
      await store.close(); // twice is fine
    });

    if (backend.reopen) {
      const reopen = backend.reopen;
      test('data, revision and history survive close and reopen', async () => {
        fresh();
        const store = await open();
        const first = await store.put(`${ns}a`, bytes('1'));
        const last = await store.put(`${ns}b`, bytes('2'));
        const reopened = await reopen(store);
        opened.push(reopened);
        assert.equal(text((await reopened.get(`${ns}a`))!.value), '1');
        assert.equal(await reopened.revision(), last);
        assert.equal(await reopened.put(`${ns}c`, bytes('3')), last + 1);
        const history = await reopened.watch(ns, { fromRevision: first });
        assert.deepEqual((await take(history, 3)).map(summary), [`put ${ns}a=1`, `put ${ns}b=2`, `put ${ns}c=3`]);
        await history.close();
      });
    }
  });
}

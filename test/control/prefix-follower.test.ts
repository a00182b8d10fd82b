// A prefix follower over the real embedded store, with its watches made to fail or go silent.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../../src/control/store/embedded/embedded-store.js';
import { PrefixFollower } from '../../src/control/store/prefix-follower.js';
import { StoreError } from '../../src/control/store/errors.js';
import type { Store, Watch, WatchEvent, WatchOptions } from '../../src/control/store/store.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The store as it is, except that its watches can be broken on demand: `fail` ends them with an
 * error (a cancelled etcd watch), `silence` keeps them open but delivering nothing (a stream the
 * client believes alive). Fault injection around the real store, not a stand-in for it.
 */
async function faultyStore(): Promise<{ store: Store; fail(): void; silence(on: boolean): void; watches: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'flick-follow-'));
  dirs.push(dir);
  const real = await openEmbeddedStore({ dataDir: dir });
  const live = new Set<{ fail(e: Error): void }>();
  let silent = false;
  let opened = 0;
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'watch') return Reflect.get(target, prop, receiver);
      return async (prefix: string, options?: WatchOptions): Promise<Watch> => {
        opened++;
        const inner = await target.watch(prefix, options);
        let failWith: ((e: Error) => void) | null = null;
        const failed = new Promise<never>((_, reject) => (failWith = reject));
        failed.catch(() => undefined);
        const handle = { fail: (e: Error) => failWith!(e) };
        live.add(handle);
        const it = inner[Symbol.asyncIterator]();
        return {
          close: () => {
            live.delete(handle);
            return inner.close();
          },
          [Symbol.asyncIterator]: () => ({
            next: async (): Promise<IteratorResult<WatchEvent>> => {
              for (;;) {
                const r = await Promise.race([it.next(), failed]);
                if (!silent || r.done) return r;
              }
            },
          }),
        };
      };
    },
  }) as Store;
  return {
    store,
    fail: () => {
      for (const w of [...live]) w.fail(new StoreError('unavailable', 'etcd cancelled the watch'));
    },
    silence: (on) => (silent = on),
    watches: () => opened,
  };
}

/** The consumer: a map of the prefix, from the changes it is handed. */
function view(): { map: Map<string, string>; change: (e: WatchEvent) => void } {
  const map = new Map<string, string>();
  return { map, change: (e) => (e.type === 'put' ? map.set(e.key, dec.decode(e.value)) : map.delete(e.key)) };
}

test('reads the prefix, then follows puts and deletes', async () => {
  const { store } = await faultyStore();
  await store.put('/p/a', enc.encode('1'));
  await store.put('/q/x', enc.encode('other prefix'));
  const v = view();
  const f = await PrefixFollower.start(store, '/p/', v.change);
  assert.deepEqual([...v.map], [['/p/a', '1']]);
  await store.put('/p/b', enc.encode('2'));
  await store.delete('/p/a');
  await waitFor(() => v.map.size === 1 && v.map.get('/p/b') === '2');
  await f.close();
  await store.close();
});

test('a failed watch: the prefix is read again, what changed meanwhile is handed over, and following goes on', async () => {
  const s = await faultyStore();
  await s.store.put('/p/a', enc.encode('1'));
  await s.store.put('/p/gone', enc.encode('x'));
  const v = view();
  const recovered: string[] = [];
  const f = await PrefixFollower.start(s.store, '/p/', v.change, { retryMs: 20, onRecover: (why) => recovered.push(why) });
  s.silence(true); // changes made now reach no watch...
  await s.store.put('/p/a', enc.encode('2'));
  await s.store.delete('/p/gone');
  await s.store.put('/p/new', enc.encode('3'));
  s.silence(false);
  s.fail(); // ...and then the watch fails
  await waitFor(() => f.recoveries === 1);
  await waitFor(() => v.map.get('/p/a') === '2' && !v.map.has('/p/gone') && v.map.get('/p/new') === '3');
  assert.match(recovered[0], /the watch failed: etcd cancelled the watch/);
  await s.store.put('/p/later', enc.encode('4'));
  await waitFor(() => v.map.get('/p/later') === '4');
  assert.equal(s.watches(), 2, 'a new watch replaced the failed one');
  await f.close();
  await s.store.close();
});

test('a watch that goes silent is caught by the audit, replaced, and the view catches up (puts and deletes)', async () => {
  const s = await faultyStore();
  await s.store.put('/p/old', enc.encode('0'));
  const v = view();
  const recovered: string[] = [];
  const f = await PrefixFollower.start(s.store, '/p/', v.change, { auditMs: 100, onRecover: (why) => recovered.push(why) });
  s.silence(true);
  await s.store.put('/p/a', enc.encode('1'));
  // An audit a period later finds the store holding a change the view still lacks.
  await waitFor(() => f.recoveries === 1, 5000);
  assert.equal(v.map.get('/p/a'), '1');
  assert.match(recovered[0], /had not delivered a change/);
  await s.store.delete('/p/old');
  await waitFor(() => f.recoveries === 2, 5000);
  assert.equal(v.map.has('/p/old'), false, 'a delete the watch never delivered');
  s.silence(false);
  await s.store.put('/p/b', enc.encode('2'));
  await waitFor(() => v.map.get('/p/b') === '2');
  assert.equal(f.recoveries, 2, 'a watch that delivers is left alone');
  await f.close();
  await s.store.close();
});

test('changes are handed over once, in order per key, whichever way they arrived', async () => {
  const s = await faultyStore();
  const seen: string[] = [];
  const f = await PrefixFollower.start(s.store, '/p/', (e) => void seen.push(`${e.type} ${e.key} ${e.type === 'put' ? dec.decode(e.value) : ''}`), { auditMs: 30 });
  for (let i = 0; i < 50; i++) await s.store.put('/p/k', enc.encode(String(i)));
  await waitFor(() => seen.at(-1) === 'put /p/k 49');
  const values = seen.map((l) => Number(l.split(' ')[2]));
  for (let i = 1; i < values.length; i++) assert.ok(values[i] > values[i - 1], `went back from ${values[i - 1]} to ${values[i]}`);
  await f.close();
  await s.store.close();
});

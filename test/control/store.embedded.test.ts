/**
 * What only the embedded backend promises beyond the conformance suite: acknowledged writes
 * survive kill -9, one owner per data directory, bounded history, and the JSON records helper
 * (run here because it needs no server).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openEmbeddedStore } from '../../src/control/store/embedded/embedded-store.js';
import { isStoreError } from '../../src/control/store/errors.js';
import { getJson, updateJson } from '../../src/control/store/json.js';
import { take, within } from './watch-events.js';

const root = mkdtempSync(join(tmpdir(), 'flick-store-embedded-'));
let dirs = 0;
const freshDir = () => join(root, `store-${++dirs}`);

describe('embedded store', { timeout: 60_000 }, () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  test('every acknowledged write survives kill -9', async () => {
    const dir = freshDir();
    const writer = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/embedded-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = { i: -1, revision: 0 };
    let buffered = '';
    const enough = new Promise<void>((resolve, reject) => {
      writer.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      writer.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [i, revision] = line.split(' ').map(Number);
          acked = { i, revision };
        }
        if (acked.i >= 50) resolve();
      });
    });
    try {
      await within(enough, 20_000, 'the writer acknowledged too few writes');
    } finally {
      writer.kill('SIGKILL');
    }
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const keys = await store.list('/durable/');
      assert.ok(keys.length >= acked.i + 1, `${keys.length} keys on disk, ${acked.i + 1} acknowledged`);
      assert.ok((await store.revision()) >= acked.revision);
    } finally {
      await store.close();
    }
  });

  test('a data directory has one owner per process', async () => {
    const dir = freshDir();
    const store = await openEmbeddedStore({ dataDir: dir });
    await assert.rejects(openEmbeddedStore({ dataDir: dir }), (e) => isStoreError(e, 'invalid_request'));
    await store.close();
    await (await openEmbeddedStore({ dataDir: dir })).close();
  });

  test('history is bounded: old revisions compact away on their own', async () => {
    const store = await openEmbeddedStore({ dataDir: freshDir(), historyRevisions: 20 });
    try {
      for (let i = 0; i < 60; i++) await store.put('/h/k', new TextEncoder().encode(String(i)));
      const tooOld = await store.watch('/h/', { fromRevision: 1 });
      await assert.rejects(take(tooOld, 1), (e) => isStoreError(e, 'compacted'));
      const recent = await store.watch('/h/', { fromRevision: 60 - 19 });
      assert.equal((await take(recent, 20)).length, 20);
      await recent.close();
    } finally {
      await store.close();
    }
  });

  test('updateJson retries lost races and gives up with conflict', async () => {
    const store = await openEmbeddedStore({ dataDir: freshDir() });
    try {
      await Promise.all(Array.from({ length: 10 }, () => updateJson<number>(store, '/json/count', (n) => (n ?? 0) + 1, { attempts: 20 })));
      assert.equal((await getJson<number>(store, '/json/count'))?.value, 10);
      const interfering = updateJson<number>(store, '/json/count', (n) => {
        void store.put('/json/count', new TextEncoder().encode('0')); // always changes under the update
        return (n ?? 0) + 1;
      }, { attempts: 3 });
      await assert.rejects(interfering, (e) => isStoreError(e, 'conflict'));
    } finally {
      await store.close();
    }
  });
});

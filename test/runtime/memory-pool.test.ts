// The pool of linear memories: what comes back is reused, so a stream of moves allocates nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryPool } from '../../src/runtime/wasm/memory-pool.js';

const turn = () => new Promise((r) => setImmediate(r));

test('a memory returned after its shelf was refilled is taken back, not left to the collector', async () => {
  const pool = new MemoryPool({ initial: 17, maximum: 32 }, { coldTarget: 2, warmTarget: 4, warmPages: 17 });
  pool.fill();
  const before = pool.allocated;
  // A move's two ends: a restore takes a warm memory, the refill runs, then a drop returns one.
  for (let i = 0; i < 50; i++) {
    const m = pool.takeWarm(17);
    new Uint8Array(m.buffer)[1000] = 7;
    await turn();
    pool.recycle(m);
    await turn();
  }
  assert.ok(pool.allocated - before <= 1, `${pool.allocated - before} memories allocated for 50 moves`);
  const again = pool.takeWarm(17);
  assert.equal(new Uint8Array(again.buffer).some((b) => b !== 0), false, 'a reused memory is cleared');
  pool.close();
});

test('the shelves stay bounded: memories beyond twice the target are left to the collector', async () => {
  const pool = new MemoryPool({ initial: 1, maximum: 2 }, { coldTarget: 2, warmTarget: 0 });
  pool.fill();
  const taken = Array.from({ length: 10 }, () => pool.takeCold());
  for (const m of taken) pool.recycle(m);
  await turn();
  await turn();
  assert.ok(pool.available.cold <= 4, `${pool.available.cold} memories shelved`);
  pool.close();
});

// KeyedSerial (src/keyed-serial.ts): per-key order, keys side by side, a failed step does not stop the next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedSerial } from '../../src/keyed-serial.js';

const tick = () => new Promise((r) => setImmediate(r));

test('steps under one key run one after another, in order; other keys do not wait', async () => {
  const serial = new KeyedSerial();
  const seen: string[] = [];
  let releaseA!: () => void;
  const a1 = serial.run('a', () => new Promise<void>((r) => (releaseA = () => { seen.push('a1'); r(); })));
  const a2 = serial.run('a', async () => void seen.push('a2'));
  const b1 = serial.run('b', async () => void seen.push('b1'));
  await b1;
  await tick();
  assert.deepEqual(seen, ['b1'], 'b ran while a1 was still running; a2 waited for it');
  releaseA();
  await Promise.all([a1, a2]);
  assert.deepEqual(seen, ['b1', 'a1', 'a2']);
});

test('a failed step rejects its own promise only; the next one under the key still runs', async () => {
  const serial = new KeyedSerial();
  const failed = serial.run('k', async () => {
    throw new Error('boom');
  });
  const next = serial.run('k', async () => 'ran');
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 'ran');
});

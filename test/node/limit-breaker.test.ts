// The limit breaker, case by case, on an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LimitBreaker } from '../../src/node/limit-breaker.js';

function breaker() {
  let t = 0;
  const b = new LimitBreaker({ intensity: 3, periodMs: 1000, coolDownMs: 100, maxCoolDownMs: 350 }, () => t);
  return { b, at: (ms: number) => (t = ms) };
}

test('opens only past the intensity within the period; hits outside the period do not count', () => {
  const { b, at } = breaker();
  for (const ms of [0, 10, 20]) {
    at(ms);
    assert.deepEqual(b.admit('x'), { ok: true, probe: false });
    b.record('x', false, true);
  }
  at(1500); // the first three are outside the period now
  b.record('x', false, true);
  assert.equal(b.admit('x').ok, true);
  for (const ms of [1510, 1520, 1530]) {
    at(ms);
    b.record('x', false, true);
  }
  const refused = b.admit('x');
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.retryAfterMs, 100);
  assert.equal(b.admit('other').ok, true, 'other apps are untouched');
});

test('after the cool-down one probe goes through: success closes, failure reopens for twice as long, capped', () => {
  const { b, at } = breaker();
  for (let i = 0; i < 4; i++) b.record('x', false, true);
  at(50);
  assert.equal(b.admit('x').ok, false);
  at(100);
  assert.deepEqual(b.admit('x'), { ok: true, probe: true });
  assert.equal(b.admit('x').ok, false, 'one probe at a time');
  b.record('x', true, true);
  at(250);
  assert.equal(b.admit('x').ok, false, 'reopened for 200 ms');
  at(300);
  assert.deepEqual(b.admit('x'), { ok: true, probe: true });
  b.record('x', true, true);
  at(700);
  assert.deepEqual(b.admit('x'), { ok: true, probe: true }, 'cool-down capped at 350 ms');
  b.record('x', true, false);
  assert.deepEqual(b.admit('x'), { ok: true, probe: false }, 'closed again');
  assert.deepEqual(b.open(), []);
});

// Failed-request logging is bounded: one line per window per kind, the next line counting what was left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogThrottle } from '../../src/telemetry/log-throttle.js';

test('one line per kind per window; the next line says how many were left out', () => {
  let now = 0;
  const t = new LogThrottle(1000, () => now);
  assert.equal(t.admit('spin\0limits_tripped'), 0);
  for (let i = 0; i < 500; i++) assert.equal(t.admit('spin\0limits_tripped'), -1);
  assert.equal(t.admit('hello\0trap'), 0, 'another kind is not held back');
  now = 999;
  assert.equal(t.admit('spin\0limits_tripped'), -1);
  now = 1000;
  assert.equal(t.admit('spin\0limits_tripped'), 501);
  now = 5000;
  assert.equal(t.admit('spin\0limits_tripped'), 0);
});

test('remembers a bounded number of kinds', () => {
  let now = 0;
  const t = new LogThrottle(1000, () => now, 3);
  for (const k of ['a', 'b', 'c', 'd']) assert.equal(t.admit(k), 0);
  assert.equal(t.admit('a'), 0, 'the oldest kind was forgotten, so it logs again');
  assert.equal(t.admit('d'), -1);
});

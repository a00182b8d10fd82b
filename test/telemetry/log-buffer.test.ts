// The instance log buffer's bounds, with synthetic lines: per source, per line, in total.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogBuffer } from '../../src/telemetry/log-buffer.js';
import type { LogLine } from '../../src/node/scheduler/protocol.js';

const line = (instance: string | null, message: string, release = 'app@1'): LogLine => ({ t: 'log', release, instance, level: 'info', message });

test('each source keeps only its newest lines; a chatty one does not push out a quiet one', () => {
  const logs = new LogBuffer({ linesPerSource: 10, maxLineChars: 100, maxTotalChars: 1 << 20 });
  logs.add('app', line('quiet', 'hello'));
  for (let i = 0; i < 10_000; i++) logs.add('app', line('loud', `line ${i}`));
  const loud = logs.read({ app: 'app', instance: 'loud' });
  assert.deepEqual(loud.map((l) => l.message), Array.from({ length: 10 }, (_, i) => `line ${9990 + i}`));
  assert.deepEqual(logs.read({ app: 'app', instance: 'quiet' }).map((l) => l.message), ['hello']);
  assert.equal(logs.heldLines, 11);
  assert.equal(logs.dropped, 9990);
});

test('long lines are cut and the total is bounded across sources, oldest source first', () => {
  const logs = new LogBuffer({ linesPerSource: 1000, maxLineChars: 50, maxTotalChars: 1000 });
  logs.add('app', line('i1', 'x'.repeat(10_000)));
  assert.match(logs.read({ app: 'app' })[0].message, /^x{50}… \[9950 more characters cut\]$/);
  for (let i = 0; i < 5000; i++) logs.add('app', line(`i${i % 50}`, 'y'.repeat(40)));
  assert.ok(logs.heldChars <= 1000, `held ${logs.heldChars} characters`);
  const held = logs.read({ app: 'app' });
  assert.equal(held.at(-1)!.seq, 5001, 'the newest line is kept');
});

test('followers get new lines of their app (and instance) until they stop', () => {
  const logs = new LogBuffer();
  const got: string[] = [];
  const stop = logs.follow({ app: 'a', instance: 'a-1' }, (l) => got.push(l.message));
  logs.add('a', line('a-1', 'one'));
  logs.add('a', line('a-2', 'other instance'));
  logs.add('b', line('a-1', 'other app', 'b@1'));
  stop();
  logs.add('a', line('a-1', 'after stop'));
  assert.deepEqual(got, ['one']);
  assert.deepEqual(logs.read({ app: 'a', since: 1 }).map((l) => l.message), ['other instance', 'after stop']);
  assert.deepEqual(logs.read({ app: 'a', tail: 1 }).map((l) => l.message), ['after stop']);
});

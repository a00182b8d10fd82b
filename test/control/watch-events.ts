/** Reading watches in tests with bounded waits: a broken watch fails a test, never hangs it. */
import assert from 'node:assert/strict';
import type { Watch, WatchEvent } from '../../src/control/store/store.js';

/** Resolves `promise`, or rejects with `message` after `ms`; the timer never outlives the race. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The next `n` events of `watch`, failing after `timeoutMs` in total. */
export async function take(watch: Watch, n: number, timeoutMs = 5_000): Promise<WatchEvent[]> {
  const iterator = watch[Symbol.asyncIterator]();
  const events: WatchEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < n) {
    const next = await within(iterator.next(), deadline - Date.now(), `got ${events.length} of ${n} events in ${timeoutMs} ms`);
    if (next.done) throw new Error(`watch ended after ${events.length} of ${n} events`);
    events.push(next.value);
  }
  return events;
}

/** Asserts that no event arrives for `ms`. */
export async function assertQuiet(watch: Watch, ms = 300): Promise<void> {
  const next = watch[Symbol.asyncIterator]().next();
  const arrived = await within(next, ms, 'quiet').then(
    (r) => r,
    () => undefined,
  );
  assert.equal(arrived, undefined, `unexpected event ${JSON.stringify(arrived)}`);
}

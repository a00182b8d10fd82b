/**
 * The consumer side of a watch, shared by both backends: a backend pushes events in revision
 * order, and fails or ends the channel; the consumer iterates once (one iterator per watch).
 * Events queue without bound while the consumer is slow — the control plane's change rate is low,
 * and a consumer that cannot keep up should resume later from its last revision instead.
 */
import type { StoreError } from './errors.js';
import type { Watch, WatchEvent } from './store.js';

export class WatchChannel implements Watch {
  private readonly queue: WatchEvent[] = [];
  private waiter: ((result: IteratorResult<WatchEvent>) => void) | undefined;
  private failWaiter: ((error: StoreError) => void) | undefined;
  private failure: StoreError | undefined;
  private ended = false;

  /** `release` frees the backend's side (cancels the etcd watcher, unsubscribes from commits). */
  constructor(private readonly release: () => Promise<void>) {}

  push(events: readonly WatchEvent[]): void {
    if (this.ended || this.failure) return;
    this.queue.push(...events);
    this.wake();
  }

  /** Fail the iteration after the events already queued are delivered. */
  fail(error: StoreError): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    void this.release();
    this.wake();
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.wake();
    await this.release();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private next(): Promise<IteratorResult<WatchEvent>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ done: false, value: event });
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  private wake(): void {
    const resolve = this.waiter;
    const reject = this.failWaiter;
    if (!resolve || !reject) return;
    this.waiter = this.failWaiter = undefined;
    const event = this.queue.shift();
    if (event) resolve({ done: false, value: event });
    else if (this.ended) resolve({ done: true, value: undefined });
    else if (this.failure) reject(this.failure);
    else {
      this.waiter = resolve;
      this.failWaiter = reject;
    }
  }
}

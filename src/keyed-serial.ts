/**
 * Steps run one after another per key, each once the one before it under the same key has
 * settled (failed ones too); different keys run side by side. Nothing is kept for a key once its
 * last step has settled. Used for a replica pool's changes (per app) and for what one node sends
 * to, or applies from, each other node (per peer), where order is the point.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `step` after the steps queued under `key` before it; settles as `step` does. */
  run<T>(key: string, step: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(step, step);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/**
 * The holder's view of a lease, shared by both backends. It keeps a local deadline — when the
 * last refresh *started* plus the TTL, so it never trusts the lease longer than the store does —
 * and declares the lease expired when that deadline passes without a confirmed refresh. That is
 * what a leader needs for fencing: stop acting before anyone else could have taken over.
 */
import { isStoreError, StoreError } from './errors.js';
import type { Lease } from './store.js';

/** What a backend does on the store for a lease. */
export interface LeaseDriver {
  /** Reset the TTL; throw StoreError `lease_expired` when the store no longer has the lease. */
  refresh(id: string): Promise<void>;
  /** Delete the lease and its keys; a lease that is already gone is not an error. */
  revoke(id: string): Promise<void>;
}

type LeaseState = 'alive' | 'expired' | 'revoked' | 'detached';

export class LeaseHandle implements Lease {
  private state: LeaseState = 'alive';
  private deadline = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  /** `grantStartedAt`: when the grant request was sent (the TTL runs from the store's receipt). */
  constructor(
    readonly id: string,
    readonly ttlMs: number,
    private readonly driver: LeaseDriver,
    grantStartedAt: number,
    keepAlive: boolean,
  ) {
    this.armDeadline(grantStartedAt + ttlMs);
    if (keepAlive) {
      this.refreshTimer = setInterval(() => void this.keepAlive().catch(() => undefined), ttlMs / 3);
      this.refreshTimer.unref();
    }
  }

  async keepAlive(): Promise<void> {
    if (this.state === 'expired' || this.state === 'revoked') {
      throw new StoreError('lease_expired', `lease ${this.id} is ${this.state}`);
    }
    const startedAt = Date.now();
    try {
      await this.driver.refresh(this.id);
    } catch (e) {
      if (isStoreError(e, 'lease_expired')) this.expire();
      throw e;
    }
    if (this.state === 'alive') this.armDeadline(startedAt + this.ttlMs);
  }

  async revoke(): Promise<void> {
    if (this.state === 'revoked') return;
    this.state = 'revoked';
    this.stopTimers();
    await this.driver.revoke(this.id);
  }

  get trustedUntil(): number {
    return this.state === 'alive' ? this.deadline : 0;
  }

  onExpire(listener: () => void): () => void {
    if (this.state === 'expired') queueMicrotask(listener);
    else this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The lease is gone (the store said so, or the local deadline passed). Revoking is best effort:
   * it makes the store agree with the holder as soon as it is reachable.
   */
  expire(): void {
    if (this.state !== 'alive') return;
    this.state = 'expired';
    this.stopTimers();
    this.driver.revoke(this.id).catch(() => undefined);
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }

  /** The store is closing: stop refreshing and watching the deadline, without firing listeners. */
  detach(): void {
    if (this.state === 'alive') this.state = 'detached';
    this.stopTimers();
  }

  private armDeadline(at: number): void {
    this.deadline = at;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.expire(), Math.max(0, at - Date.now()));
    this.deadlineTimer.unref();
  }

  private stopTimers(): void {
    clearTimeout(this.deadlineTimer);
    clearInterval(this.refreshTimer);
  }
}

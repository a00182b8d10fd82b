/**
 * Cluster membership through the store (etcd in a cluster): each node writes its description
 * under `/flick/nodes/<name>`, attached to a lease it keeps alive; the key disappears when the node
 * leaves or stops renewing, and every node follows the prefix with a watch. No consensus of our
 * own: etcd's lease expiry is the failure detector.
 *
 * A node that can no longer confirm its lease (etcd unreachable past the TTL) is told so through
 * `onLost`: from then on it must act as if it were out of the cluster (refuse changes it cannot
 * commit) until it joins again, which it does by itself as soon as the store answers (`onJoined`).
 * `trusted()` says the same a margin earlier, checked at the moment of acting: work that must stop
 * before any other node may take it over (serving per-key instances) asks it, not a timer.
 */
import type { Lease, Store } from '../control/store/store.js';
import { PrefixFollower } from '../control/store/prefix-follower.js';
import type { Topology } from './topology.js';
import { HintedError } from '../hinted-error.js';

export const NODES_PREFIX = '/flick/nodes/';

export interface MemberInfo {
  name: string;
  /** Where its ingress and control API answer, e.g. `http://10.0.0.5:7070`. */
  address: string;
  topology: Topology;
  capacity: { memoryBytes: number; schedulers: number };
  startedAt: string;
}

export class MembershipError extends HintedError {}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** Node names become store keys and DNS-like labels in logs. */
const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** How often the members are read again to catch a watch that stopped delivering (well under a lease TTL). */
const AUDIT_MS = 2_000;

export class Membership {
  private view = new Map<string, MemberInfo>();
  private follower: PrefixFollower | null = null;
  private readonly changeListeners = new Set<(members: MemberInfo[]) => void>();
  private readonly lostListeners = new Set<() => void>();
  private readonly joinedListeners = new Set<() => void>();
  private closed = false;
  /** False from the loss of the lease until this node has joined again and re-read the members. */
  private member = true;
  private rejoining: Promise<void> | null = null;

  private constructor(
    private readonly store: Store,
    readonly self: MemberInfo,
    private lease: Lease,
    private readonly ttlMs: number,
    private readonly fenceMarginMs: number,
  ) {}

  /**
   * Registers this node; refuses a name another live node holds. `fenceMarginMs`: how long before
   * its lease deadline `trusted()` turns false (room for a late timer, a slow check, clock drift).
   */
  static async join(store: Store, self: MemberInfo, opts: { ttlMs: number; fenceMarginMs?: number }): Promise<Membership> {
    if (!NODE_NAME.test(self.name)) throw new MembershipError(`'${self.name}' is not a valid node name`, 'use lower-case letters, digits and dashes (--node-name)');
    const lease = await store.grantLease(opts.ttlMs, { keepAlive: true });
    const created = await store.putIf(`${NODES_PREFIX}${self.name}`, enc.encode(JSON.stringify(self)), 0, { lease: lease.id });
    if (!created.ok) {
      await lease.revoke();
      throw new MembershipError(`another live node already uses the name '${self.name}'`, 'give each node its own --node-name (or wait for the old one\'s lease to expire)');
    }
    const m = new Membership(store, self, lease, opts.ttlMs, opts.fenceMarginMs ?? 0);
    m.keep(lease);
    await m.follow();
    return m;
  }

  /**
   * Whether this node may act as a member now: it has joined (again) and its lease is confirmed
   * beyond now + the fence margin. Its lease deadline comes before etcd's expiry, and the other
   * nodes act on its keys only after that expiry, so what it does while this holds cannot overlap
   * what they do in its place.
   */
  trusted(): boolean {
    return this.member && Date.now() < this.lease.trustedUntil - this.fenceMarginMs;
  }

  /** On the lease's loss: tell the node, then join again as soon as the store lets us. */
  private keep(lease: Lease): void {
    lease.onExpire(() => {
      // A lease this node already replaced (a re-join that failed half-way) says nothing about the current one.
      if (this.closed || lease !== this.lease) return;
      this.member = false;
      for (const l of this.lostListeners) l();
      this.startRejoin();
    });
  }

  private startRejoin(): void {
    if (this.rejoining) return;
    this.rejoining = this.rejoin().finally(() => {
      this.rejoining = null;
      // Lost again just as the loop ended: go round once more.
      if (!this.member && !this.closed) this.startRejoin();
    });
  }

  private async rejoin(): Promise<void> {
    const key = `${NODES_PREFIX}${this.self.name}`;
    const value = enc.encode(JSON.stringify(this.self));
    while (!this.closed) {
      let lease: Lease | null = null;
      try {
        lease = await this.store.grantLease(this.ttlMs, { keepAlive: true });
        const created = await this.store.putIf(key, value, 0, { lease: lease.id });
        if (created.ok && !this.closed) {
          this.lease = lease;
          this.keep(lease);
          await this.follower?.close();
          await this.follow();
          // A grant answered late (etcd stalled) may have lapsed already: then this was no join.
          if (lease.trustedUntil <= Date.now()) continue;
          this.member = true;
          const members = this.members();
          for (const l of this.changeListeners) l(members);
          for (const l of this.joinedListeners) l();
          return;
        }
        await lease.revoke();
        // Our own key from before the loss (etcd has not expired it yet): this process is its
        // owner, so it may take it back now instead of waiting out the old lease.
        const mine = !created.ok && created.current && (JSON.parse(dec.decode(created.current.value)) as MemberInfo).startedAt === this.self.startedAt;
        if (mine) {
          await this.store.delete(key, { expectedRevision: created.current!.revision });
          continue;
        }
      } catch {
        // The store is still out of reach. A lease granted on the way must not be kept alive for
        // nothing (nor fire onLost when it lapses): it goes, and the next try starts over.
        if (lease) await lease.revoke().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 250).unref());
    }
  }

  /** Live members, sorted by name (this node included). */
  members(): MemberInfo[] {
    return [...this.view.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  onChange(listener: (members: MemberInfo[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called each time this node's lease is lost (expired, or unconfirmable before its TTL ran out). */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Called when this node is a member again after a loss (a new lease holds its key). */
  onJoined(listener: () => void): () => void {
    this.joinedListeners.add(listener);
    return () => this.joinedListeners.delete(listener);
  }

  /** Leaves the cluster now: the key goes at once instead of at lease expiry. */
  async leave(): Promise<void> {
    this.closed = true;
    await this.follower?.close();
    await this.lease.revoke();
  }

  /**
   * Reads the members and follows them (prefix-follower.ts: read again should the watch fail or
   * lag). A re-join starts over: members that left while this node was cut off must not linger.
   */
  private async follow(): Promise<void> {
    const view = new Map<string, MemberInfo>();
    let reading = true;
    const follower = await PrefixFollower.start(this.store, NODES_PREFIX, (ev) => {
      const name = ev.key.slice(NODES_PREFIX.length);
      if (ev.type === 'put') view.set(name, JSON.parse(dec.decode(ev.value)) as MemberInfo);
      else view.delete(name);
      if (reading || this.follower !== follower) return;
      const members = this.members();
      for (const l of this.changeListeners) l(members);
    }, { auditMs: AUDIT_MS });
    reading = false;
    this.follower = follower;
    this.view = view;
  }
}

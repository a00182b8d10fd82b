/**
 * Which node should hold a per-key instance, as this node sees it: rendezvous hashing of
 * `APP/KEY` over the live members, unless an operator pinned the key to a live node
 * (`flick migrate INSTANCE --to NODE`). Also remembers the member lists of the last
 * `handoffWindowMs`: a node that has just become a key's owner asks the key's previous owners for
 * it before serving it, instead of starting it fresh beside the live copy. Previous owners that
 * have left the member list are asked too: a node cut off from etcd is out of the list, yet it
 * still holds its keys (fenced) and can hand them over with their exact state.
 */
import { ownerOf } from './rendezvous.js';

/** A key pinned to a node by a cross-node migration; `from` held it before (the new node asks it for the key). */
export interface KeyPin {
  node: string;
  from: string;
}

export const keyId = (app: string, key: string): string => `${app}/${key}`;

/**
 * A node that may hold a copy of a key. `mustAnswer`: it is a member and may be serving the key
 * now, so the key is not taken over without its answer. A node that left the member list has
 * fenced itself, and a copy found only because the app was routed anew is confirmed before it
 * serves (key-fence.ts): those are asked, but one that does not answer is not waited for (one
 * that answers without handing the key over holds the request back like a member: key-router.ts).
 */
export interface Holder {
  node: string;
  mustAnswer: boolean;
}

export class KeyDirectory {
  private members: string[] = [];
  private history: Array<{ members: string[]; until: number }> = [];
  private readonly pins = new Map<string, KeyPin>();
  /** Nodes that said they hold a copy of a key (key-fence.ts claims), for the handoff window. */
  private readonly claimants = new Map<string, Map<string, number>>();
  /** Apps routed anew lately (a rollback brings back copies wherever they were left), until when. */
  private readonly rerouted = new Map<string, number>();
  private readonly changeListeners = new Set<(gone: readonly string[]) => void>();

  constructor(
    readonly self: string,
    private readonly handoffWindowMs: number,
  ) {}

  /** Live member names. */
  get live(): readonly string[] {
    return this.members;
  }

  isLive(node: string): boolean {
    return this.members.includes(node);
  }

  /** A new member list; the previous one is remembered for the handoff window. */
  setMembers(names: readonly string[]): void {
    const next = [...names].sort();
    if (next.join('\0') === this.members.join('\0')) return;
    const now = Date.now();
    this.history = this.history.filter((h) => h.until > now);
    for (const [id, byNode] of this.claimants) {
      for (const [node, until] of byNode) if (until <= now) byNode.delete(node);
      if (byNode.size === 0) this.claimants.delete(id);
    }
    // A first list is remembered without this node: it has just joined, so every key it owns now
    // was someone else's a moment ago.
    const before = this.members.length ? this.members : next.filter((n) => n !== this.self);
    if (before.length) this.history.push({ members: before, until: now + this.handoffWindowMs });
    const gone = this.members.filter((n) => !next.includes(n));
    this.members = next;
    for (const listener of this.changeListeners) listener(gone);
  }

  /** Called after every change of the member list, with the members that left it (none on a join). */
  onChange(listener: (gone: readonly string[]) => void): void {
    this.changeListeners.add(listener);
  }

  setPin(app: string, key: string, pin: KeyPin | null): void {
    if (pin) this.pins.set(keyId(app, key), pin);
    else this.pins.delete(keyId(app, key));
  }

  pinOf(app: string, key: string): KeyPin | undefined {
    return this.pins.get(keyId(app, key));
  }

  /** The node that should hold the key now; null with no members. */
  ownerOf(app: string, key: string): string | null {
    const pin = this.pins.get(keyId(app, key));
    if (pin && this.members.includes(pin.node)) return pin.node;
    return ownerOf(keyId(app, key), this.members);
  }

  /** The owner without `node`: where the key goes when `node` leaves (and where its checkpoints go). */
  ownerWithout(app: string, key: string, node: string): string | null {
    return ownerOf(keyId(app, key), this.members.filter((n) => n !== node));
  }

  /**
   * The app was routed anew: a rollback (or a deploy of a release that served before) brings back
   * the copies of its keys on whichever nodes held them at its last switch, so for a moment every
   * member may hold any key of it.
   */
  noteReroute(app: string, windowMs: number): void {
    this.rerouted.set(app, Date.now() + windowMs);
  }

  /** `node` holds a copy of the key it is confirming: this node must ask it before taking the key over. */
  noteClaimant(app: string, key: string, node: string): void {
    const id = keyId(app, key);
    const byNode = this.claimants.get(id) ?? this.claimants.set(id, new Map()).get(id)!;
    byNode.set(node, Date.now() + this.handoffWindowMs);
  }

  /**
   * Nodes other than this one that may hold the key: owners of the last member lists (live now or
   * not: one that left may be cut off from etcd, holding the key fenced), the node a pin moved it
   * from, nodes that claimed a copy of it lately — and every member, shortly after the app was
   * routed anew.
   */
  previousHolders(app: string, key: string): Holder[] {
    const now = Date.now();
    const id = keyId(app, key);
    const likely = new Set<string>();
    const pin = this.pins.get(id);
    if (pin && pin.node === this.self) likely.add(pin.from);
    this.history = this.history.filter((h) => h.until > now);
    for (const h of this.history) {
      const o = ownerOf(id, h.members);
      if (o !== null) likely.add(o);
    }
    for (const [node, until] of this.claimants.get(id) ?? []) if (until > now) likely.add(node);
    const out: Holder[] = [...likely].map((node) => ({ node, mustAnswer: this.members.includes(node) }));
    if ((this.rerouted.get(app) ?? 0) > now) for (const node of this.members) if (!likely.has(node)) out.push({ node, mustAnswer: false });
    return out.filter((h) => h.node !== this.self);
  }
}

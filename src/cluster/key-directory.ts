/**
 * Which node should hold a per-key instance, as this node sees it: rendezvous hashing of
 * `APP/KEY` over the live members, unless an operator pinned the key to a live node
 * (`flick migrate INSTANCE --to NODE`). Also remembers the member lists of the last
 * `handoffWindowMs`: a node that has just become a key's owner asks the key's previous owners for
 * it before serving it, instead of starting it fresh beside the live copy.
 */
import { ownerOf } from './rendezvous.js';

/** A key pinned to a node by a cross-node migration; `from` held it before (the new node asks it for the key). */
export interface KeyPin {
  node: string;
  from: string;
}

export const keyId = (app: string, key: string): string => `${app}/${key}`;

export class KeyDirectory {
  private members: string[] = [];
  private history: Array<{ members: string[]; until: number }> = [];
  private readonly pins = new Map<string, KeyPin>();

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
    // A first list is remembered without this node: it has just joined, so every key it owns now
    // was someone else's a moment ago.
    const before = this.members.length ? this.members : next.filter((n) => n !== this.self);
    if (before.length) this.history.push({ members: before, until: now + this.handoffWindowMs });
    this.members = next;
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

  /** Live nodes other than this one that may hold the key from before a recent change (or a pin's move). */
  previousHolders(app: string, key: string): string[] {
    const now = Date.now();
    const out = new Set<string>();
    const pin = this.pins.get(keyId(app, key));
    if (pin && pin.node === this.self) out.add(pin.from);
    for (const h of this.history) {
      if (h.until <= now) continue;
      const o = ownerOf(keyId(app, key), h.members);
      if (o !== null) out.add(o);
    }
    out.delete(this.self);
    return [...out].filter((n) => this.members.includes(n));
  }
}

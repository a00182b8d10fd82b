/**
 * Where the other nodes answer: the live members' addresses, and for a while those of members
 * that have left the list. A node drops out of the list when its lease lapses — dead, or only cut
 * off from etcd while it still runs and holds its per-key instances, fenced. A node taking its
 * keys over asks it for them first (key-router.ts), which needs its address after it has gone.
 */
import type { MemberInfo } from './membership.js';
import type { PeerForwarder } from './forward.js';
import type { PeerAddresses } from './key-moves.js';

export class PeerBook implements PeerAddresses {
  private readonly live = new Map<string, string>();
  private readonly departed = new Map<string, { address: string; until: number }>();

  constructor(
    private readonly link: PeerForwarder,
    /** How long a departed member's address is kept: as long as the key directory remembers it as a holder. */
    private readonly rememberMs: number,
  ) {}

  setMembers(members: readonly MemberInfo[]): void {
    const now = Date.now();
    for (const [name, address] of this.live) {
      if (!members.some((m) => m.name === name && m.address === address)) this.departed.set(name, { address, until: now + this.rememberMs });
    }
    this.live.clear();
    for (const m of members) this.live.set(m.name, m.address);
    for (const [name, d] of this.departed) {
      if (d.until > now && !this.live.has(name)) continue;
      this.departed.delete(name);
      // Its connections go unless a live member answers at the same address (a restart on the same port).
      if (![...this.live.values()].includes(d.address)) this.link.forget(d.address);
    }
  }

  /** A live member's address. */
  addressOf(node: string): string | undefined {
    return this.live.get(node);
  }

  /** A live member's address, or the last one of a member that left the list lately. */
  lastAddressOf(node: string): string | undefined {
    const d = this.departed.get(node);
    return this.live.get(node) ?? (d && d.until > Date.now() ? d.address : undefined);
  }
}

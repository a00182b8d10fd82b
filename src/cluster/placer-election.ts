/**
 * Which node is the placer: the one whose lease holds `/flick/placer`. A candidate creates the key
 * with create-if-absent under its own lease; the revision that created it is its term's fencing
 * token. The key is never rewritten, so its revision stays equal to the token for as long as the
 * term lasts, and every write the placer makes is a transaction that compares it (`fencedTransact`):
 * a placer that was deposed — its lease expired while it was paused or cut off, and another node
 * won — cannot change anything, whatever it still believes.
 *
 * The others watch the key and campaign when it is deleted (the holder left, or its lease
 * expired), so a dead placer is replaced within its lease TTL. Etcd's lease expiry is the failure
 * detector, as for membership. On the embedded store the single node simply wins.
 */
import type { Lease, Store, TxnRequest, TxnResult } from '../control/store/store.js';
import { HintedError } from '../hinted-error.js';

export const PLACER_KEY = '/flick/placer';

/** One placer's term: who, and the revision that fences its writes. */
export interface PlacerTerm {
  node: string;
  token: number;
}

export class PlacerDeposedError extends HintedError {}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A write on behalf of the placer of `term`: it happens only if that term still holds. Throws
 * PlacerDeposedError when another term began (or none holds); other conflicts are returned.
 */
export async function fencedTransact(store: Store, term: PlacerTerm, request: TxnRequest): Promise<TxnResult> {
  const result = await store.transact({ conditions: [{ key: PLACER_KEY, revision: term.token }, ...request.conditions], writes: request.writes });
  if (!result.ok && result.conflicts.some((c) => c.key === PLACER_KEY)) {
    const now = result.conflicts.find((c) => c.key === PLACER_KEY)!.current;
    const holder = now ? `${termOf(now.value, now.createRevision).node} (term ${now.createRevision})` : 'nobody';
    throw new PlacerDeposedError(`the placer term ${term.token} of ${term.node} is over: ${holder} holds ${PLACER_KEY} now`, 'nothing to do: the current placer redoes this work; a deposed placer stops by itself');
  }
  return result;
}

function termOf(value: Uint8Array, token: number): PlacerTerm {
  try {
    return { node: (JSON.parse(dec.decode(value)) as { node: string }).node, token };
  } catch {
    return { node: '?', token };
  }
}

export interface ElectionOptions {
  /** Lease TTL: how long a dead placer can hold the role. */
  ttlMs: number;
  /** Pause before trying again after the store failed. */
  retryMs?: number;
}

export class PlacerElection {
  private closed = false;
  private current: PlacerTerm | null = null;
  private mine: PlacerTerm | null = null;
  private lease: Lease | null = null;
  /** Ends the wait of the campaign loop (key deleted, lease lost, close). */
  private wake: (() => void) | null = null;
  private readonly electedListeners = new Set<(term: PlacerTerm) => void>();
  private readonly deposedListeners = new Set<(term: PlacerTerm, why: string) => void>();
  private readonly loop: Promise<void>;

  constructor(
    private readonly store: Store,
    readonly node: string,
    private readonly opts: ElectionOptions,
  ) {
    this.loop = this.campaign();
  }

  /** The term this node holds now, or null. */
  get term(): PlacerTerm | null {
    return this.mine;
  }

  /** The placer as last seen by this node (itself included), or null while there is none. */
  get leader(): PlacerTerm | null {
    return this.current;
  }

  onElected(listener: (term: PlacerTerm) => void): () => void {
    this.electedListeners.add(listener);
    if (this.mine) queueMicrotask(() => this.mine && listener(this.mine));
    return () => this.electedListeners.delete(listener);
  }

  onDeposed(listener: (term: PlacerTerm, why: string) => void): () => void {
    this.deposedListeners.add(listener);
    return () => this.deposedListeners.delete(listener);
  }

  /** Stops campaigning; a held term ends now (the key goes with the lease) so another node takes over at once. */
  async close(): Promise<void> {
    this.closed = true;
    const lease = this.lease;
    this.depose('the node is stopping');
    this.wake?.();
    await this.loop;
    await lease?.revoke().catch(() => undefined);
  }

  private async campaign(): Promise<void> {
    const retryMs = this.opts.retryMs ?? 250;
    while (!this.closed) {
      try {
        await this.round();
      } catch {
        // The store did not answer (etcd down or unreachable): try again, with a fresh lease.
        this.depose('the store stopped answering');
        if (!this.closed) await sleep(retryMs);
      }
    }
  }

  /** One lease: campaign with it until it is lost. */
  private async round(): Promise<void> {
    const lease = await this.store.grantLease(this.opts.ttlMs, { keepAlive: true });
    this.lease = lease;
    let lost = false;
    lease.onExpire(() => {
      lost = true;
      this.depose(`its lease expired (the store was unreachable for ${lease.ttlMs} ms)`);
      this.wake?.();
    });
    try {
      while (!this.closed && !lost) {
        const created = await this.store.putIf(PLACER_KEY, enc.encode(JSON.stringify({ node: this.node, at: new Date().toISOString() })), 0, { lease: lease.id });
        if (created.ok) {
          this.current = this.mine = { node: this.node, token: created.revision };
          for (const l of this.electedListeners) l(this.mine);
          await this.untilChanged(created.revision);
          this.depose(`${PLACER_KEY} was deleted or replaced`);
        } else if (created.current) {
          this.current = termOf(created.current.value, created.current.createRevision);
          await this.untilChanged(created.current.revision);
        }
      }
    } finally {
      if (this.lease === lease) this.lease = null;
      if (!this.closed) await lease.revoke().catch(() => undefined);
    }
  }

  /** Waits until the key changes after `revision` (deleted or rewritten), the lease is lost, or close. */
  private async untilChanged(revision: number): Promise<void> {
    const watch = await this.store.watch(PLACER_KEY, { fromRevision: revision + 1 });
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    const changed = (async () => {
      for await (const ev of watch) {
        if (ev.key !== PLACER_KEY) continue; // the prefix also matches longer keys
        if (ev.type === 'delete') this.current = null;
        return;
      }
    })();
    try {
      await Promise.race([woken, changed]);
    } finally {
      this.wake = null;
      await watch.close();
    }
  }

  private depose(why: string): void {
    const term = this.mine;
    this.mine = null;
    if (!term) return;
    if (this.current?.token === term.token) this.current = null;
    for (const l of this.deposedListeners) l(term, why);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

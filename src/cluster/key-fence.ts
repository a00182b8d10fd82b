/**
 * Per-key instances and the membership lease: never two copies of a key answering at once.
 *
 * Another node takes a key over only once this node's lease is gone from etcd (its membership
 * key deleted). This node stops serving before that can happen: `open()` is false from a margin
 * before its own lease deadline — which comes before etcd's expiry — until it has joined again
 * (Membership.trusted), and the key router checks it when a request arrives and again when the
 * answer is ready. While closed, per-key requests get 503 `detached`; a node taking a key over
 * may still ask this one for it and get it with its exact state (key-router.ts).
 *
 * A copy held across such a gap, brought back from disk after a restart, or of a release that
 * stopped serving and serves again (a rollback) may have been superseded meanwhile (a node took
 * the key over from a checkpoint because this one did not answer; a node started the key under
 * that release). Such a copy is unconfirmed (InstanceRecord.unconfirmed) and serves nothing until
 * every other member has said it holds no copy of the key (POST /cluster/keys/claim): if one
 * does, this copy is dropped and its requests go there; if none does, it carries on with its
 * state. A member asked remembers this node as a holder of the key — it asks this node first
 * should it take the key over itself — and answers only once a takeover of the key it has under
 * way is settled.
 * Design and failure analysis: docs/decisions.md, "Fencing per-key instances".
 */
import { DispatchError, type FlickNode } from '../node/node.js';
import type { InstanceRecord } from '../node/instance-table.js';
import { RerunQueue } from '../rerun-queue.js';
import type { KeyDirectory } from './key-directory.js';
import type { KeyMoves, MoveLog } from './key-moves.js';
import type { PeerBook } from './peer-book.js';
import type { PeerForwarder } from './forward.js';
import { KeyTransferError, servingKeys, servingRecord, supersede } from './key-transfer.js';

const CLAIM_TIMEOUT_MS = 5_000;
/** How long a request waits for its key's copy to be confirmed before it is refused (503). */
const CONFIRM_WAIT_MS = 5_000;
/** How often a waiting request looks again while a pass could not reach every member. */
const RECHECK_MS = 250;
/** A pass that could not reach every member is tried again after this long. */
const RETRY_MS = 1_000;
/** How many times a claim follows "moved it to" answers from node to node. */
const MAX_POINTER_HOPS = 3;

/** A copy of a key: its app, key and release. */
export interface KeyRef {
  app: string;
  key: string;
  release: string;
}

/** A member's answer to a claim, per key: it holds a copy, or it moved one lately to `movedTo`. */
export interface ClaimAnswer {
  holds: boolean;
  movedTo: string | null;
}

/** The body of a claim: `from` holds unconfirmed copies of `keys`. */
export function decodeClaim(bytes: Uint8Array): { from: string; keys: KeyRef[] } {
  let body: { from?: unknown; keys?: unknown };
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof body;
  } catch {
    body = {};
  }
  const keys = Array.isArray(body?.keys) ? (body.keys as Array<Partial<KeyRef>>) : null;
  if (typeof body?.from !== 'string' || !keys || !keys.every((k) => typeof k?.app === 'string' && typeof k.key === 'string' && typeof k.release === 'string')) {
    throw new KeyTransferError('the body is not a key claim ({"from": NODE, "keys": [{"app", "key", "release"}]})', 'only flick nodes call this endpoint', 400, 'bad_request');
  }
  return { from: body.from, keys: keys as KeyRef[] };
}

/** Per copy: the node holding a copy of its key; null when none does; undefined when a live member did not answer. */
type Finding = string | null | undefined;

export class KeyFence {
  private losses = 0;
  private membership: { trusted(): boolean } | null = null;
  private readonly passes = new RerunQueue(() => this.confirmPass());
  private retry: NodeJS.Timeout | null = null;
  readonly counters = { confirmed: 0, superseded: 0 };

  constructor(
    private readonly node: FlickNode,
    private readonly directory: KeyDirectory,
    private readonly moves: KeyMoves,
    private readonly peers: PeerBook,
    private readonly link: PeerForwarder,
    private readonly log: MoveLog,
    /** The key router's takeover of a key under way, if any (a claim waits for it). */
    private readonly takeover: (app: string, key: string) => Promise<unknown> | undefined,
    /** Called when copies were confirmed: they may belong on another node by now. */
    private readonly afterConfirm: () => void,
  ) {}

  /** The node is a member: from now on it serves while its membership is trusted. */
  attach(membership: { trusted(): boolean }): void {
    this.membership = membership;
    void this.confirm();
  }

  /** Whether this node may serve per-key instances now. */
  open(): boolean {
    return this.membership?.trusted() ?? false;
  }

  /** Changes each time the lease is lost: an answer computed across a loss is not given. */
  get epoch(): number {
    return this.losses;
  }

  refusal(): DispatchError {
    return new DispatchError(
      'detached',
      `node ${this.directory.self} cannot confirm its cluster lease (etcd out of reach): another node may be taking over the keys it holds`,
      'retry in a moment, or send the request to another node (flick nodes lists them); a node back in touch with etcd joins again by itself',
      503,
      1,
    );
  }

  /** The lease is lost: every per-key copy here may be superseded before this node is back. */
  lost(): void {
    this.losses++;
    for (const rec of this.node.table.all()) {
      if (this.node.releases.get(rec.release)?.manifest.instances.mode === 'per-key') rec.unconfirmed = true;
    }
  }

  /**
   * The app was routed anew (a deploy's switch, a rollback): copies of releases that stopped
   * serving may be stale by the time they serve again — meanwhile the key may have started on
   * another node under that release — and copies that serve again are confirmed now.
   */
  rerouted(app: string): void {
    const route = this.node.active.get(app);
    if (!route || this.node.releases.get(route.release)?.manifest.instances.mode !== 'per-key') return;
    for (const rec of this.node.table.all()) {
      if (rec.app === app && rec.release !== route.release && rec.release !== route.canary?.release) rec.unconfirmed = true;
    }
    void this.confirm();
  }

  /** Confirms every unconfirmed copy this node serves (one pass at a time). */
  confirm(): Promise<void> {
    return this.passes.run();
  }

  /** Resolves once `rec` is confirmed, superseded or gone; a 503 when that takes too long. */
  async confirmed(rec: InstanceRecord): Promise<void> {
    const end = Date.now() + CONFIRM_WAIT_MS;
    // After a pass that could not reach every member, its retry comes on its own: requests do not
    // each start another (a member that refuses at once would have them ask in a tight loop).
    if (!this.retry) await this.confirm();
    while (this.unsettled(rec) && Date.now() < end) await new Promise((r) => setTimeout(r, RECHECK_MS));
    if (this.unsettled(rec)) {
      throw new DispatchError(
        'unconfirmed',
        `node ${this.directory.self} holds a copy of key '${rec.key}' of ${rec.app} that may have been superseded (kept across a lost lease, a restart or a rollback), and could not yet ask every other node whether one holds a newer one`,
        'retry in a moment: the node asks again every second',
        503,
        1,
      );
    }
  }

  /** The receiving end of a claim (POST /cluster/keys/claim): whether this node holds a copy of each key's release, or where it moved it. */
  async answer(from: string, keys: KeyRef[]): Promise<ClaimAnswer[]> {
    return Promise.all(
      keys.map(async ({ app, key, release }) => {
        this.directory.noteClaimant(app, key, from);
        // A takeover under way may be about to start the key here: answer once it is settled.
        await this.takeover(app, key)?.catch(() => undefined);
        const movedTo = this.moves.movedTo(app, key, release) ?? null;
        return { holds: this.node.table.find(release, key) !== undefined, movedTo: movedTo === from ? null : movedTo };
      }),
    );
  }

  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.membership = null;
  }

  private unsettled(rec: InstanceRecord): boolean {
    return rec.unconfirmed === true && servingRecord(this.node, rec.app, rec.key) === rec;
  }

  private async confirmPass(): Promise<void> {
    if (!this.open()) return;
    const losses = this.losses;
    const unconfirmed = servingKeys(this.node).filter((r) => r.unconfirmed);
    // A copy on its way to another node (a handoff) is that node's to confirm; one busy otherwise, the next pass's.
    const copies = unconfirmed.filter((r) => r.status !== 'moving');
    let unresolved = unconfirmed.length - copies.length;
    if (unresolved > 0) this.retryLater();
    if (copies.length === 0) return;
    const found = await this.findHolders(copies);
    // Lost again meanwhile: the answers may be stale by the time this node is back.
    if (!this.open() || this.losses !== losses) return;
    let confirmed = 0;
    await Promise.all(
      copies.map(async (rec, i) => {
        if (!this.unsettled(rec)) return;
        const holder = found[i];
        if (holder === null) {
          rec.unconfirmed = false;
          confirmed++;
          this.counters.confirmed++;
        } else if (holder === undefined || rec.status === 'moving') {
          unresolved++;
        } else {
          try {
            await supersede(this.node, rec, holder);
            this.moves.pointTo(rec.app, rec.key, rec.release, holder);
            this.counters.superseded++;
            this.log.warn({ app: rec.app, key: rec.key, holder }, 'dropped a copy of a key that may have been stale: another node holds the key');
          } catch (e) {
            unresolved++;
            this.log.warn({ app: rec.app, key: rec.key, holder, err: (e as Error).message }, 'a superseded copy of a key could not be dropped yet');
          }
        }
      }),
    );
    if (unresolved > 0) this.retryLater();
    if (confirmed > 0) this.afterConfirm();
  }

  /**
   * Asks every other live member about every copy, then follows "moved it to" answers (a move
   * under way when the first asked) a few hops. A live member that does not answer leaves its keys
   * undecided; a departed one cannot be serving (its lease is gone) and is not waited for.
   */
  private async findHolders(copies: InstanceRecord[]): Promise<Finding[]> {
    const self = this.directory.self;
    const found: Finding[] = copies.map(() => null);
    const asked = copies.map(() => new Set([self]));
    let round = new Map<string, number[]>();
    for (const n of this.directory.live) if (n !== self) round.set(n, copies.map((_, i) => i));
    for (let hop = 0; round.size > 0 && hop <= MAX_POINTER_HOPS; hop++) {
      const next = new Map<string, number[]>();
      await Promise.all(
        [...round].map(async ([node, indices]) => {
          for (const i of indices) asked[i].add(node);
          const answers = await this.claim(node, indices.map((i) => copies[i]));
          indices.forEach((i, j) => {
            if (typeof found[i] === 'string') return;
            const a = answers?.[j];
            if (!a) {
              if (this.directory.isLive(node)) found[i] = undefined;
            } else if (a.holds) {
              found[i] = node;
            } else if (a.movedTo !== null && !asked[i].has(a.movedTo)) {
              (next.get(a.movedTo) ?? next.set(a.movedTo, []).get(a.movedTo)!).push(i);
            }
          });
        }),
      );
      round = next;
    }
    return found;
  }

  private async claim(node: string, copies: InstanceRecord[]): Promise<ClaimAnswer[] | null> {
    const address = this.peers.lastAddressOf(node);
    if (address === undefined) return null;
    const body = JSON.stringify({ from: this.directory.self, keys: copies.map((r): KeyRef => ({ app: r.app, key: r.key, release: r.release })) });
    try {
      const res = await this.link.call(address, 'POST', '/cluster/keys/claim', body, { timeoutMs: CLAIM_TIMEOUT_MS, peer: node });
      if (res.status !== 200) throw new Error(`${res.status} ${res.body.toString().slice(0, 200)}`);
      const { answers } = JSON.parse(res.body.toString()) as { answers: ClaimAnswer[] };
      return answers.length === copies.length ? answers : null;
    } catch (e) {
      this.log.warn({ node, keys: copies.length, err: (e as Error).message }, 'could not ask a node whether it holds newer copies of keys held here');
      return null;
    }
  }

  private retryLater(): void {
    if (this.retry || !this.membership) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.confirm();
    }, RETRY_MS);
    this.retry.unref();
  }
}

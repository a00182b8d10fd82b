/**
 * Per-key instances moving between nodes, live, by snapshot: on a membership change (only the keys
 * whose owner changed), on an operator's `flick migrate INSTANCE --to NODE`, when a new owner asks
 * for a key it has just gained (a handoff), and before this node leaves the cluster (drain).
 *
 * One move: requests for the key are held at the key router (`settled`), the instance is quiesced,
 * snapshotted and freed (key-transfer.ts), the snapshot is posted to the new node's control API,
 * which registers it; then the held requests are forwarded there. For a while afterwards this node
 * remembers where the key went (`movedTo`), so requests from nodes whose view is a moment behind
 * still reach it. A failed post leaves the instance here, as it was.
 */
import { KeyDirectory, keyId } from './key-directory.js';
import { adopt, decodeTravelling, detach, encodeTravelling, servingKeys, servingRecord, settleMoved, settleStayed, adoptOver, KeyTransferError } from './key-transfer.js';
import { ForwardError, type PeerForwarder } from './forward.js';
import type { FlickNode } from '../node/node.js';
import { RerunQueue } from '../rerun-queue.js';
import type { PeerBook } from './peer-book.js';

/** How long a move's post to the new node may take (a snapshot of up to the app's memory limit). */
const IMPORT_TIMEOUT_MS = 15_000;
/** Moves run at once during a rebalance: enough to overlap snapshots with transfers, few enough not to starve requests. */
const REBALANCE_CONCURRENCY = 4;

export interface PeerAddresses {
  addressOf(node: string): string | undefined;
}

export interface MoveLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MoveResult {
  node: string;
  /** Time requests to the key were held: from the start of the quiesce to the new node's acknowledgement. */
  pauseMs: number;
  /** The instance's id on the new node. */
  instance: string;
}

export class KeyMoves {
  private readonly moving = new Map<string, Promise<void>>();
  private readonly movedAway = new Map<string, { node: string; release: string; until: number }>();
  private readonly rebalancing = new RerunQueue(() => this.rebalancePass());
  readonly counters = { movedOut: 0, movedIn: 0, failed: 0 };
  /** Every finished move out, with its pause (telemetry, tests). */
  readonly history: Array<{ app: string; key: string; to: string; pauseMs: number; why: string }> = [];

  constructor(
    private readonly node: FlickNode,
    private readonly directory: KeyDirectory,
    private readonly peers: PeerBook,
    private readonly link: PeerForwarder,
    private readonly log: MoveLog,
    private readonly rememberMs: number,
    /** Whether this node may still vouch for its copies (key-fence.ts): one sent without it is confirmed by its receiver. */
    private readonly trusted: () => boolean,
  ) {}

  /** Resolves once no move of the key out of this node is in progress. */
  async settled(app: string, key: string): Promise<void> {
    for (let p = this.moving.get(keyId(app, key)); p; p = this.moving.get(keyId(app, key))) await p;
  }

  isMoving(app: string, key: string): boolean {
    return this.moving.has(keyId(app, key));
  }

  /**
   * Where the key went when this node moved it out recently — its copy of `release`, by default
   * of a release that serves the app now: after a deploy or a rollback the node it went to holds
   * no copy that serves, and following the pointer would send requests round in circles.
   */
  movedTo(app: string, key: string, release?: string): string | undefined {
    const id = keyId(app, key);
    const away = this.movedAway.get(id);
    if (!away) return undefined;
    if (away.until <= Date.now()) {
      this.movedAway.delete(id);
      return undefined;
    }
    const route = this.node.active.get(app);
    const current = release === undefined ? away.release === route?.release || away.release === route?.canary?.release : away.release === release;
    return current ? away.node : undefined;
  }

  /** Requests for the key go to `node` for a while: it holds the key now (this node's copy of `release` went there, or was superseded by one there). */
  pointTo(app: string, key: string, release: string, node: string): void {
    this.movedAway.set(keyId(app, key), { node, release, until: Date.now() + this.rememberMs });
  }

  /** Moves the key's instance (the one that serves, or that of `release`) to `to`; null when this node does not hold it. */
  async move(app: string, key: string, to: string, why: string, release?: string): Promise<MoveResult | null> {
    await this.settled(app, key);
    const rec = release === undefined ? servingRecord(this.node, app, key) : this.node.table.find(release, key);
    if (!rec) return null;
    // A node that asks for a key is alive, even if this node's member list has lost it (this node is cut off).
    const address = this.peers.lastAddressOf(to);
    if (address === undefined || to === this.directory.self) {
      throw new KeyTransferError(`node ${to} is not a live member of the cluster`, 'list the nodes with flick nodes', 404, 'no_such_node');
    }
    const id = keyId(app, key);
    let done!: () => void;
    this.moving.set(id, new Promise<void>((r) => (done = r)));
    const t0 = performance.now();
    try {
      const travelling = await detach(this.node, rec);
      travelling.unconfirmed ||= !this.trusted();
      let instance: string;
      try {
        const res = await this.link.call(address, 'POST', '/cluster/keys/import', encodeTravelling(travelling), { timeoutMs: IMPORT_TIMEOUT_MS, peer: to });
        if (res.status !== 200) throw new KeyTransferError(`node ${to} refused key '${key}' of ${app}: ${res.body.toString().slice(0, 300)}`, 'the instance stays on this node', 503, 'move_refused');
        instance = (JSON.parse(res.body.toString()) as { instance: string }).instance;
      } catch (e) {
        settleStayed(rec, travelling);
        this.counters.failed++;
        throw e;
      }
      this.pointTo(app, key, rec.release, to);
      settleMoved(this.node, rec, to);
      const pauseMs = performance.now() - t0;
      this.counters.movedOut++;
      this.history.push({ app, key, to, pauseMs, why });
      if (this.history.length > 1000) this.history.shift();
      return { node: to, pauseMs, instance };
    } finally {
      this.moving.delete(id);
      done();
    }
  }

  /**
   * The arriving end of a move (POST /cluster/keys/import). A copy here that is unconfirmed
   * (key-fence.ts) gives way to one that is not: that one was serving while this was fenced.
   */
  async import(body: Uint8Array): Promise<{ instance: string; app: string; key: string; unconfirmed: boolean }> {
    const t = decodeTravelling(body);
    const stale = this.node.table.find(t.release, t.key);
    const rec = stale?.unconfirmed && !t.unconfirmed ? await adoptOver(this.node, t, stale) : adopt(this.node, t);
    this.movedAway.delete(keyId(t.app, t.key));
    this.counters.movedIn++;
    return { instance: rec.id, app: t.app, key: t.key, unconfirmed: rec.unconfirmed === true };
  }

  /**
   * A node that has just become the key's owner asks for it (POST /cluster/keys/handoff): for the
   * copy of `release`, the one it serves, whether or not that one serves here (around a deploy or
   * a rollback two nodes switch a moment apart). Answers where the key is now: `to` once moved
   * there, another node if it went elsewhere, null when this node never had it.
   */
  async handoff(app: string, key: string, to: string, release?: string): Promise<{ at: string | null }> {
    const moved = await this.move(app, key, to, 'handoff', release);
    if (moved) return { at: moved.node };
    return { at: this.movedTo(app, key) ?? null };
  }

  /**
   * After a membership change: every key this node holds but no longer owns goes to its owner.
   * Runs one pass at a time; a change during a pass makes another pass follow.
   */
  rebalance(): Promise<void> {
    return this.rebalancing.run();
  }

  private async rebalancePass(): Promise<void> {
    // An unconfirmed copy stays until it is confirmed (key-fence.ts), which rebalances again.
    const due = servingKeys(this.node).filter((r) => {
      if (r.unconfirmed) return false;
      const owner = this.directory.ownerOf(r.app, r.key);
      return owner !== null && owner !== this.directory.self;
    });
    if (due.length) this.log.info({ keys: due.length, members: this.directory.live }, 'membership changed: moving keys to their new owners');
    await this.moveAll(due.map((r) => ({ app: r.app, key: r.key, to: this.directory.ownerOf(r.app, r.key)! })), 'membership');
  }

  /** Before this node leaves: every key it holds goes to the node that owns it without this one. */
  async drain(): Promise<void> {
    const self = this.directory.self;
    const due = servingKeys(this.node).flatMap((r) => {
      const pin = this.directory.pinOf(r.app, r.key);
      const to = pin && pin.node !== self && this.directory.isLive(pin.node) ? pin.node : this.directory.ownerWithout(r.app, r.key, self);
      return to === null ? [] : [{ app: r.app, key: r.key, to }];
    });
    await this.moveAll(due, 'leaving');
  }

  private async moveAll(due: Array<{ app: string; key: string; to: string }>, why: string): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const { app, key, to } = due[next++];
        try {
          await this.move(app, key, to, why);
        } catch (e) {
          const err = e as Error;
          this.log.warn({ app, key, to, err: err.message, unreachable: e instanceof ForwardError }, 'a key could not be moved to its new owner; it stays here');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(REBALANCE_CONCURRENCY, due.length) }, worker));
  }
}

/**
 * The request path of a cluster node for per-key apps: a request is served by the node that holds
 * its key's instance, whichever node it reached. In order:
 *   1. a move of the key out of this node is in progress → wait for it (held, not refused);
 *   2. this node holds the key → serve here;
 *   3. this node moved the key away a moment ago → forward to where it went;
 *   4. another node owns it (rendezvous / pin) → forward there;
 *   5. otherwise the key is this node's to serve: if it may still be on a previous owner (a recent
 *      membership change, a pin's move, a node cut off from etcd, a rollback), ask that node to
 *      hand it over first, then serve here.
 * Only the owner in this node's view takes a key over (5), so two nodes never both start it; when
 * views disagree for a moment (a change propagating), a request is sent on at most MAX_HOPS times,
 * then answered 503 + Retry-After. Other apps pass straight through to `next`.
 *
 * All of it only while the node's membership lease is trusted (key-fence.ts): a node that may
 * have been replaced answers 503 `detached`, checked when a request arrives and again before its
 * answer goes out; and a copy it may have lost the right to serves only once confirmed.
 */
import type { Dispatcher } from '../ingress/server.js';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import { DispatchError, KeyMovedAway, type FlickNode } from '../node/node.js';
import { instanceKey } from '../node/instance-key.js';
import type { KeySource } from '../image/manifest.js';
import { ForwardError, MAX_HOPS, takeForwarded, type PeerForwarder } from './forward.js';
import { keyId, type Holder, type KeyDirectory } from './key-directory.js';
import type { KeyMoves } from './key-moves.js';
import type { KeyFence } from './key-fence.js';
import type { PeerBook } from './peer-book.js';
import { adopt, servingRecord, type TravellingKey } from './key-transfer.js';

/** How long asking a previous owner for a key may take (it moves the key to us before answering). */
const HANDOFF_TIMEOUT_MS = 20_000;
/**
 * The same for a node that cannot be serving the key (key-directory.ts Holder): one that left the
 * member list is cut off from etcd (then it answers, fenced) or dead (refused at once) — or
 * stalled, which must not hold the key's requests for long. Past this the key is taken over
 * without it; a copy it still has is superseded when it confirms it (key-fence.ts).
 */
const UNSURE_HANDOFF_TIMEOUT_MS = 3_000;
/** Added to the app's deadline to bound a forwarded request. */
const FORWARD_SLACK_MS = 5_000;
/** How long a per-key request waits for this node to finish joining (its view of the members). */
const JOIN_WAIT_MS = 10_000;

export class KeyRouter implements Dispatcher {
  private readonly acquiring = new Map<string, Promise<string | null>>();
  readonly counters = { local: 0, forwarded: 0, handoffs: 0 };

  constructor(
    private readonly node: FlickNode,
    private readonly directory: KeyDirectory,
    private readonly moves: KeyMoves,
    private readonly fence: KeyFence,
    private readonly peers: PeerBook,
    private readonly link: PeerForwarder,
    private readonly token: string,
    private readonly next: Dispatcher,
    private readonly checkpoints: { take(app: string, key: string): TravellingKey | null } | null,
    /** Settles once this node knows the members: other nodes may forward to it a moment before. */
    private readonly joined: Promise<void>,
  ) {}

  /** Whether `app` takes this path: a per-key app. */
  handles(app: string): boolean {
    return this.keySource(app) !== null;
  }

  async dispatch(app: string, request: GuestRequest): Promise<GuestResponse> {
    const source = this.keySource(app);
    if (!source) return this.next.dispatch(app, request);
    // Serving before this node knows the members would start keys that live elsewhere.
    if (this.directory.live.length === 0) await this.untilJoined();
    if (!this.fence.open()) throw this.fence.refusal();
    const mark = takeForwarded(request, this.token);
    return this.route(app, instanceKey(source, request), request, mark?.hops ?? 0);
  }

  private async route(app: string, key: string, request: GuestRequest, hops: number): Promise<GuestResponse> {
    if (this.moves.isMoving(app, key)) await this.moves.settled(app, key);
    let held = servingRecord(this.node, app, key);
    if (held?.unconfirmed) {
      await this.fence.confirmed(held);
      held = servingRecord(this.node, app, key); // confirmed, or superseded and gone
    }
    // A copy here came after any move of the key away that this node remembers (an import, a
    // takeover, a rollback bringing an older release's copy back): it is the key's.
    if (held) return this.local(app, key, request, hops);
    const away = this.moves.movedTo(app, key);
    if (away !== undefined && this.directory.isLive(away)) return this.forward(away, app, request, hops + 1);
    const owner = this.directory.ownerOf(app, key);
    if (owner !== null && owner !== this.directory.self) return this.forward(owner, app, request, hops + 1);
    // Ours to serve: only the owner takes a key over, so two nodes never both start it.
    const elsewhere = await this.acquire(app, key);
    if (elsewhere !== null) return this.forward(elsewhere, app, request, hops + 1);
    // Handed over by a node that had lost its lease: confirmed (or superseded) first.
    if (servingRecord(this.node, app, key)?.unconfirmed) return this.route(app, key, request, hops);
    this.restoreCheckpoint(app, key);
    return this.local(app, key, request, hops);
  }

  /**
   * No live node had the key: if this node keeps a checkpoint of it (it was the successor of a
   * node that is gone), the key comes back from it instead of starting fresh.
   */
  private restoreCheckpoint(app: string, key: string): void {
    if (!this.checkpoints || servingRecord(this.node, app, key)) return;
    const cp = this.checkpoints.take(app, key);
    if (!cp) return;
    // A checkpoint of another release than the one serving now cannot be restored by this one's code.
    if (this.node.active.get(app)?.release !== cp.release) return;
    adopt(this.node, cp);
  }

  private async local(app: string, key: string, request: GuestRequest, hops: number): Promise<GuestResponse> {
    this.counters.local++;
    const epoch = this.fence.epoch;
    let response: GuestResponse;
    try {
      response = await this.next.dispatch(app, request);
    } catch (e) {
      // The key left while this request waited inside the node: follow it.
      if (e instanceof KeyMovedAway && this.directory.isLive(e.node)) return this.forward(e.node, app, request, hops + 1);
      throw e;
    }
    // The lease lapsed while the request ran: another node may own the key by now, so this
    // answer cannot be vouched for (the client retries; the effect stays on a copy that is
    // either handed over or superseded).
    if (!this.fence.open() || this.fence.epoch !== epoch) throw this.fence.refusal();
    return response;
  }

  private forward(to: string, app: string, request: GuestRequest, hops: number): Promise<GuestResponse> {
    if (hops > MAX_HOPS) {
      // Views of the members disagree for a moment (a change is propagating): let the client retry.
      return Promise.reject(new DispatchError('key_moving', `the key of this request moved ${MAX_HOPS} times while it was forwarded`, 'retry in a moment: the nodes agree again within a membership change', 503, 1));
    }
    const address = this.peers.addressOf(to);
    if (address === undefined) return Promise.reject(new ForwardError(to, 'it is not a live member of the cluster', false));
    this.counters.forwarded++;
    const deadline = this.node.releases.get(this.node.active.get(app)?.release ?? '')?.manifest.resources.deadlineMs ?? 30_000;
    return this.link.forward(address, app, request, hops, { timeoutMs: deadline + FORWARD_SLACK_MS, peer: to });
  }

  /** The takeover of the key under way here, if any (a claim from another node waits for it). */
  takingOver(app: string, key: string): Promise<string | null> | undefined {
    return this.acquiring.get(keyId(app, key));
  }

  /**
   * Before this node serves a key it does not hold: asks each node that may still hold it to hand
   * it over. Null when the key is (now) here or nowhere else; a node name when it is there instead.
   * A previous holder that may be serving the key and does not answer fails the request (503):
   * starting the key fresh here while it may live there would split it in two. So does any holder
   * that answers without handing the key over.
   */
  private acquire(app: string, key: string): Promise<string | null> {
    const candidates = this.directory.previousHolders(app, key);
    if (candidates.length === 0) return Promise.resolve(null);
    const id = keyId(app, key);
    let pending = this.acquiring.get(id);
    if (!pending) {
      pending = this.askFor(app, key, candidates).finally(() => this.acquiring.delete(id));
      this.acquiring.set(id, pending);
    }
    return pending;
  }

  private async askFor(app: string, key: string, candidates: Holder[]): Promise<string | null> {
    for (const { node: holder, mustAnswer } of candidates) {
      if (servingRecord(this.node, app, key)) return null;
      const address = this.peers.lastAddressOf(holder);
      if (address === undefined) continue;
      this.counters.handoffs++;
      const release = this.node.active.get(app)?.release;
      let res: { status: number; body: Buffer };
      try {
        res = await this.link.call(address, 'POST', '/cluster/keys/handoff', JSON.stringify({ app, key, to: this.directory.self, release }), { timeoutMs: mustAnswer ? HANDOFF_TIMEOUT_MS : UNSURE_HANDOFF_TIMEOUT_MS, peer: holder });
      } catch (e) {
        // One that cannot be serving the key (see Holder) is not waited for.
        if (!mustAnswer && e instanceof ForwardError) continue;
        throw e;
      }
      // It answered, so it is alive and may still hold the key — even one that is not a member
      // now (back from a lapsed lease, it left and joins again): starting the key here, fresh or
      // from a checkpoint, would lose what it holds. The client retries; once the handoff window
      // is over, a node that kept refusing is no longer asked.
      if (res.status !== 200) throw new ForwardError(holder, `it could not hand key '${key}' over (${res.status}: ${res.body.toString().slice(0, 200)})`, false);
      const { at } = JSON.parse(res.body.toString()) as { at: string | null };
      if (at !== null && at !== this.directory.self) return at;
      if (at === this.directory.self) return null;
    }
    return null;
  }

  private async untilJoined(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), JOIN_WAIT_MS)));
    const outcome = await Promise.race([this.joined.then(() => 'joined' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') throw new DispatchError('not_joined', 'this node has not joined the cluster yet, so it cannot tell which node holds the key', 'retry in a moment, or send the request to another node', 503, 1);
  }

  private keySource(app: string): KeySource | null {
    const route = this.node.active.get(app);
    const mode = route && this.node.releases.get(route.release)?.manifest.instances;
    return mode?.mode === 'per-key' ? mode.key : null;
  }
}

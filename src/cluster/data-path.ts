/**
 * The data path of a cluster node, put together: per-key requests reach the node holding their key
 * (key-router.ts), keys move live when members come and go or an operator moves one
 * (key-moves.ts), app KV writes are made durable in etcd before a request is answered
 * (kv-replication.ts), and the control API endpoints nodes use for that. The Daemon creates it
 * before it joins (so the endpoints exist from the first request), starts it (the cluster's KV
 * data is read), attaches it to the membership once it has joined, and drains it (every key to
 * its next owner) before it leaves. Per-key instances serve only while the membership lease is
 * trusted, and copies held across its loss are confirmed before they serve again (key-fence.ts).
 */
import { join } from 'node:path';
import { AppKvStore } from '../node/app-kv.js';
import { KvReplication } from './kv-replication.js';
import { KeyCheckpoints } from './key-checkpoints.js';
import { RemoteMailbox } from './remote-mailbox.js';
import type { Dispatcher } from '../ingress/server.js';
import type { FlickNode } from '../node/node.js';
import type { Store } from '../control/store/store.js';
import type { Membership, MemberInfo } from './membership.js';
import { json, type RouteDef } from '../daemon/api.js';
import { parseJsonBody, readRaw } from '../daemon/json-body.js';
import { PeerForwarder } from './forward.js';
import { KeyDirectory } from './key-directory.js';
import { decodeClaim, KeyFence } from './key-fence.js';
import { KeyMoves, type MoveLog, type MoveResult } from './key-moves.js';
import { KeyPins } from './key-pins.js';
import { KeyRouter } from './key-router.js';
import { KeyTransferError, servingRecord } from './key-transfer.js';
import { PeerBook } from './peer-book.js';

/** How long after a change nodes remember the old member list / where they moved a key: well past the time a change takes to reach every node. */
const REMEMBER_MS = 30_000;
/** Largest instance snapshot accepted from a peer: the largest memory limit a manifest may set, with room for the encoding. */
const MAX_IMPORT_BYTES = 1100 << 20;
/** How often per-key instances that changed are checkpointed to their successor: what a crash can lose of instance memory. */
const CHECKPOINT_MS = 1000;
/** A key that could not be moved is tried again after this long. */
const RETRY_MS = 1000;
/** How long after an app is routed anew a node takes none of its keys over without asking every member: longer than a switch takes to reach them all. */
const REROUTE_WINDOW_MS = 5000;

export class ClusterDataPath {
  readonly directory: KeyDirectory;
  readonly link: PeerForwarder;
  readonly moves: KeyMoves;
  readonly fence: KeyFence;
  private readonly pins: KeyPins;
  private readonly peers: PeerBook;
  private router: KeyRouter | null = null;
  private membership: Membership | null = null;
  private unsubscribe: (() => void) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  private markJoined!: () => void;
  /** Settles when the node first knows the members (attach). */
  private readonly joined = new Promise<void>((r) => (this.markJoined = r));
  private readonly kvLocal: AppKvStore;
  readonly kv: KvReplication;
  readonly checkpoints: KeyCheckpoints;
  readonly mailbox: RemoteMailbox;

  constructor(
    private readonly node: FlickNode,
    store: Store,
    private readonly token: string,
    self: string,
    private readonly log: MoveLog,
    dataDir: string,
  ) {
    // The node must journal KV writes (FlickNode option replicatedKv) for this to see them.
    this.kvLocal = new AppKvStore(join(dataDir, 'kv'));
    this.kv = new KvReplication(store, this.kvLocal, self, log);
    for (const s of node.schedulers) s.kvCommit = (writes) => this.kv.commit(writes);
    this.directory = new KeyDirectory(self, REMEMBER_MS);
    this.link = new PeerForwarder(self, token);
    this.peers = new PeerBook(this.link, REMEMBER_MS);
    const trusted = () => this.fence.open();
    this.moves = new KeyMoves(node, this.directory, this.peers, this.link, log, REMEMBER_MS, trusted);
    this.fence = new KeyFence(node, this.directory, this.moves, this.peers, this.link, log, (app, key) => this.router?.takingOver(app, key), () => void this.rebalance());
    this.pins = new KeyPins(store, this.directory);
    this.checkpoints = new KeyCheckpoints(node, this.directory, this.peers, this.link, log, trusted, dataDir, CHECKPOINT_MS);
    this.mailbox = new RemoteMailbox(node, this.directory, this.moves, this.peers, this.link, log);
    node.remoteDelivery = (app, key, message) => this.mailbox.route(app, key, message) || this.fencedOff(app, key);
    node.on('route', (app) => {
      this.directory.noteReroute(app, REROUTE_WINDOW_MS);
      this.fence.rerouted(app);
    });
  }

  /**
   * A mailbox entry for a key this node would serve itself, while it must not run it (the node is
   * fenced, or its copy not yet confirmed): dropped and counted, as a message to a node that lost
   * touch with the cluster is. True when dropped.
   */
  private fencedOff(app: string, key: string): boolean {
    if (this.node.releases.get(this.node.active.get(app)?.release ?? '')?.manifest.instances.mode !== 'per-key') return false;
    if (this.fence.open() && !servingRecord(this.node, app, key)?.unconfirmed) return false;
    this.node.processes.counters.dropped++;
    this.log.warn({ app, key }, 'a mailbox entry for a key held here was dropped: the node is fenced, or its copy of the key not yet confirmed');
    return true;
  }

  /** The dispatcher for the ingress: per-key apps through the key router, the rest to `next`. */
  route(next: Dispatcher): KeyRouter {
    this.router = new KeyRouter(this.node, this.directory, this.moves, this.fence, this.peers, this.link, this.token, next, this.checkpoints, this.joined);
    return this.router;
  }

  /** Before the node serves: the cluster's KV data into this node's LMDB, and followed from then on. */
  start(): Promise<void> {
    return this.kv.start();
  }

  /** Follows the membership from now on: every change moves the keys whose owner changed. */
  async attach(membership: Membership): Promise<void> {
    this.membership = membership;
    await this.pins.start();
    this.setMembers(membership.members());
    this.markJoined();
    const unsubscribe = [
      membership.onChange((members) => {
        this.setMembers(members);
        void this.rebalance();
      }),
      membership.onLost(() => this.fence.lost()),
      // Back with a fresh member list: confirm what was held across the gap, then move what is not ours.
      membership.onJoined(() => void this.fence.confirm()),
    ];
    this.unsubscribe = () => unsubscribe.forEach((u) => u());
    this.fence.attach(membership);
    void this.rebalance();
    this.checkpoints.start();
  }

  /** Before leaving: every key this node holds goes to its next owner (requests meanwhile are held, then forwarded). */
  async drain(): Promise<void> {
    if (!this.membership) return;
    this.unsubscribe?.();
    await this.moves.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.retry) clearTimeout(this.retry);
    this.checkpoints.stop();
    this.fence.close();
    await this.pins.close();
    await this.link.close();
    await this.kv.close();
    await this.kvLocal.close();
  }

  /** Moves one instance to another node for good (`flick migrate INSTANCE --to NODE`): the key is pinned there. */
  async migrate(instanceId: string, to: string): Promise<MoveResult> {
    const rec = this.node.table.get(instanceId);
    if (!rec) throw new KeyTransferError(`no instance ${instanceId} on node ${this.directory.self}`, 'list this node\'s instances with flick ps (instance ids are per node)', 404, 'no_such_instance');
    if (this.node.releases.get(rec.release)?.manifest.instances.mode !== 'per-key') {
      throw new KeyTransferError(`instance ${instanceId} is not a per-key instance`, 'only per-key instances move between nodes; replicas are placed by the placer', 400, 'bad_request');
    }
    if (to === this.directory.self) throw new KeyTransferError(`instance ${instanceId} is already on node ${to}`, 'name another node (flick nodes lists them)', 400, 'bad_request');
    if (!this.directory.isLive(to)) throw new KeyTransferError(`node ${to} is not a live member of the cluster`, `choose one of: ${this.directory.live.join(', ')}`, 404, 'no_such_node');
    const previous = this.directory.pinOf(rec.app, rec.key);
    // Pinned first: from here on every node sends the key's requests to `to`, which asks this node
    // for the key (a handoff) and waits until the move below has delivered it.
    await this.pins.pin(rec.app, rec.key, { node: to, from: this.directory.self });
    try {
      const moved = await this.moves.move(rec.app, rec.key, to, 'migrate');
      if (!moved) throw new KeyTransferError(`instance ${instanceId} left this node meanwhile`, 'see where it is with flick ps on the other nodes', 409, 'busy');
      return moved;
    } catch (e) {
      if (previous) await this.pins.pin(rec.app, rec.key, previous).catch(() => {});
      else await this.pins.unpin(rec.app, rec.key).catch(() => {});
      throw e;
    }
  }

  /** Control API endpoints (bearer token: the cluster token). */
  routes(): RouteDef[] {
    const post = (pattern: RegExp, handler: RouteDef['handler']): RouteDef => ({ method: 'POST', pattern, mutates: true, handler });
    // Between nodes, nothing committed to etcd: a node cut off from it still hands its keys over and answers claims.
    const peerPost = (pattern: RegExp, handler: RouteDef['handler']): RouteDef => ({ ...post(pattern, handler), storeless: true });
    return [
      peerPost(/^\/cluster\/keys\/import$/, async (req, res) => {
        // A fenced node cannot vouch for what it would serve: the sender keeps the key and tries again.
        if (!this.fence.open()) throw new KeyTransferError(this.fence.refusal().message, 'the sender keeps the key and tries again once this node is back in the cluster', 503, 'detached');
        const imported = await this.moves.import(await readRaw(req, MAX_IMPORT_BYTES));
        this.checkpoints.drop(imported.app, imported.key);
        if (imported.unconfirmed) void this.fence.confirm();
        json(res, 200, imported);
      }),
      peerPost(/^\/cluster\/keys\/claim$/, async (req, res) => {
        const claim = decodeClaim(await readRaw(req, 8 << 20));
        json(res, 200, { answers: await this.fence.answer(claim.from, claim.keys) });
      }),
      post(/^\/cluster\/keys\/deliver$/, async (req, res) => {
        this.mailbox.receive(await readRaw(req, 8 << 20));
        json(res, 200, { delivered: true });
      }),
      peerPost(/^\/cluster\/keys\/checkpoint$/, async (req, res) => {
        this.checkpoints.store(await readRaw(req, MAX_IMPORT_BYTES));
        json(res, 200, { stored: true });
      }),
      peerPost(/^\/cluster\/keys\/handoff$/, async (req, res) => {
        const body = parseJsonBody<{ app: string; key: string; to: string; release?: string }>(await readRaw(req, 64 << 10), { app: { type: 'string', required: true }, key: { type: 'string', required: true }, to: { type: 'string', required: true }, release: { type: 'string' } });
        json(res, 200, await this.moves.handoff(body.app, body.key, body.to, body.release));
      }),
      post(/^\/instances\/([^/]+)\/move$/, async (req, res, [id]) => {
        const body = parseJsonBody<{ node: string }>(await readRaw(req, 64 << 10), { node: { type: 'string', required: true } });
        if (!this.membership) throw new KeyTransferError('this node is not in a cluster', 'start it with flick up --etcd URL --node-name NAME, or move the instance between schedulers with --to N', 400, 'not_clustered');
        json(res, 200, await this.migrate(decodeURIComponent(id), body.node));
      }),
    ];
  }

  private setMembers(members: MemberInfo[]): void {
    this.peers.setMembers(members);
    this.directory.setMembers(members.map((m) => m.name));
  }

  /**
   * Moves keys whose owner changed; a key that could not move is tried again shortly (it must not
   * stay on a non-owner). Not while fenced: the member list may be stale, and the node rebalances
   * once it has joined again and confirmed its copies.
   */
  private async rebalance(): Promise<void> {
    if (!this.fence.open()) return;
    const failedBefore = this.moves.counters.failed;
    await this.moves.rebalance();
    if (this.closed || this.moves.counters.failed === failedBefore || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed) void this.rebalance();
    }, RETRY_MS);
    this.retry.unref();
  }
}

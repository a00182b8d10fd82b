/**
 * The control side of a cluster node, put together: it follows the placer's assignments and
 * serves (or forwards) replicas apps accordingly from the start, and once the node is a member it
 * campaigns for the placer role and runs the placer when it wins. Losing the membership lease
 * fences the node's replicas (they may be re-placed elsewhere); joining again lifts the fence.
 */
import type { Store } from '../control/store/store.js';
import type { FlickNode } from '../node/node.js';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import type { Membership } from '../cluster/membership.js';
import { AssignmentFollower } from '../cluster/assignments.js';
import { PeerForwarder, takeForwarded } from '../cluster/forward.js';
import { ReplicaRouter } from '../cluster/replica-router.js';
import { PlacerElection } from '../cluster/placer-election.js';
import { Placer, type PlacerLog } from '../cluster/placer.js';
import { ReplicaCheckpoints, type CheckpointShelf } from '../cluster/replica-checkpoints.js';
import { get, json, type RouteDef } from './api.js';
import type { DeployTarget } from '../control/deploy/engine.js';
import { ClusterTarget } from './cluster-target.js';

export interface ClusterControlOptions {
  store: Store;
  node: FlickNode;
  nodeName: string;
  token: string;
  /** Lease TTL of the placer term: how long a dead placer holds the role. */
  ttlMs: number;
  /** How often changed replicas are checkpointed to the other members: what a node's death can lose of their memory. */
  checkpointMs?: number;
  log: PlacerLog;
}

export class ClusterControl {
  readonly assignments: AssignmentFollower;
  readonly router: ReplicaRouter;
  readonly checkpoints: ReplicaCheckpoints;
  private readonly forwarder: PeerForwarder;
  private membership: Membership | null = null;
  private election: PlacerElection | null = null;
  private placer: Placer | null = null;

  constructor(private readonly opts: ClusterControlOptions) {
    this.forwarder = new PeerForwarder(opts.nodeName, opts.token);
    this.checkpoints = new ReplicaCheckpoints(opts.node, opts.nodeName, () => this.others(), this.forwarder, opts.log, opts.checkpointMs ?? 1000);
    const isMember = (n: string) => this.membership?.members().some((m) => m.name === n) ?? false;
    this.assignments = new AssignmentFollower(opts.store, opts.nodeName, opts.node, (app, gained) => this.checkpoints.restore(app, gained, isMember), (why) => opts.log.warn({}, why));
    this.router = new ReplicaRouter(opts.node, this.assignments, { addressOf: (n) => this.membership?.members().find((m) => m.name === n)?.address }, this.forwarder);
  }

  /** Before the node takes requests: know the assignments. */
  start(): Promise<void> {
    return this.assignments.start();
  }

  /** The node is a member: campaign for the placer role, and fence replicas while the membership is not trusted. */
  joined(membership: Membership): void {
    this.membership = membership;
    this.router.fence = () => (membership.trusted() ? null : `node ${this.opts.nodeName} cannot confirm its cluster lease: its replicas may run elsewhere now, and it cannot tell where`);
    membership.onLost(() => this.assignments.fence());
    membership.onJoined(() => this.assignments.unfence());
    this.checkpoints.start();
    this.election = new PlacerElection(this.opts.store, this.opts.nodeName, { ttlMs: this.opts.ttlMs });
    this.placer = new Placer(this.opts.store, membership, this.election, this.opts.log);
  }

  /**
   * A request's way through a cluster node. The forwarding mark is read (and stripped) here, once,
   * so that every router sees it; other modes than replicas are served by the node as they are.
   */
  async dispatch(app: string, request: GuestRequest): Promise<GuestResponse> {
    const forwarded = takeForwarded(request, this.opts.token);
    const target = forwarded?.app ?? app;
    if (this.router.handles(target)) return this.router.dispatch(target, request, forwarded);
    return this.opts.node.dispatch(target, request);
  }

  /** Deploys through this node: its own target, with the image copied to the other members first. */
  deployTarget(local: DeployTarget): DeployTarget {
    return new ClusterTarget(local, () => this.others(), this.forwarder);
  }

  /** The node the placer gave replica `key` (`#i`) of `app`, or null: where messages and signals to it go. */
  replicaHostOf(app: string, key: string): string | null {
    const index = /^#(\d+)$/.exec(key);
    return index ? (this.assignments.get(app)?.replicas[Number(index[1])] ?? null) : null;
  }

  /** Where checkpoints other nodes send here are kept (the data path's shelf): replicas re-homed here restore from it. */
  keepCheckpointsOn(shelf: CheckpointShelf): void {
    this.checkpoints.shelf = shelf;
  }

  private others() {
    return (this.membership?.members() ?? []).filter((m) => m.name !== this.opts.nodeName);
  }

  /** `GET /_flick/api/cluster`: who places, and where every replica runs. */
  routes(): RouteDef[] {
    return [
      get(/^\/cluster$/, async (_q, res) => {
        const apps = [...this.opts.node.active.keys()].sort();
        json(res, 200, {
          node: this.opts.nodeName,
          placer: this.election?.leader ?? null,
          assignments: apps.map((a) => this.assignments.get(a)).filter((a) => a !== undefined),
          // What this node itself sees now (its views may lag the store): what to compare when nodes disagree.
          view: {
            members: this.membership?.members().map((m) => m.name) ?? [],
            trusted: this.membership?.trusted() ?? false,
            replicasFenced: this.assignments.fenced,
          },
        });
      }),
    ];
  }

  /** Hands the placer role over at once (the term's key goes with its lease) and stops following. */
  async stop(): Promise<void> {
    this.checkpoints.stop();
    await this.placer?.close();
    await this.election?.close();
    await this.assignments.stop();
    await this.forwarder.close();
  }
}

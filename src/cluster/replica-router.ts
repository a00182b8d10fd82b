/**
 * The request path of a cluster node for replicas apps: a request is served here when this node
 * hosts one of the app's replicas (the placer's assignment), and forwarded to a node that does
 * otherwise, so any node answers for any app. Other modes are the node's own business.
 *
 * A request forwarded to us is served here or forwarded once more (the assignment may have moved
 * meanwhile), up to MAX_HOPS. The caller reads the forwarding mark (forward.ts `takeForwarded`)
 * once, for every router of the node. While this node cannot trust its membership lease it
 * refuses replicas apps with 503 `detached` — checked when a request arrives and again when a
 * replica here has answered it, from a margin before the lease deadline, so before the placer can
 * have moved the replicas (membership.ts `trusted`).
 */
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import { DispatchError, type FlickNode } from '../node/node.js';
import type { AssignmentFollower } from './assignments.js';
import { ForwardError, MAX_HOPS, type Forwarded, type Forwarder } from './forward.js';

/** How long a request for a replicas app waits for the placer's first assignment of it. */
const UNPLACED_WAIT_MS = 3_000;

export interface PeerDirectory {
  /** Where a live member's ingress answers, or undefined when it is not a member now. */
  addressOf(node: string): string | undefined;
}

export class ReplicaRouter {
  private turn = 0;
  /** Why this node cannot serve replicas apps now (its membership lease is not trusted), or null. */
  fence: () => string | null = () => null;

  constructor(
    private readonly node: FlickNode,
    private readonly assignments: AssignmentFollower,
    private readonly peers: PeerDirectory,
    private readonly forwarder: Forwarder,
  ) {}

  /** Whether `app` is a replicas app here (its requests go through `dispatch`). */
  handles(app: string): boolean {
    const route = this.node.active.get(app);
    return route !== undefined && this.node.releases.get(route.release)?.manifest.instances.mode === 'replicas';
  }

  async dispatch(app: string, request: GuestRequest, forwarded: Forwarded | null): Promise<GuestResponse> {
    this.refuseIfFenced();
    let local = this.assignments.local(app);
    if (local === undefined) {
      await this.assignments.waitFor(app, UNPLACED_WAIT_MS);
      local = this.assignments.local(app);
      if (local === undefined) throw new DispatchError('unplaced', `the placer has not assigned the replicas of '${app}' to nodes yet`, 'retry in a moment; flick nodes shows whether the cluster has a placer', 503, 1);
    }
    if (local.length === 0) return this.forward(app, request, (forwarded?.hops ?? 0) + 1);
    const response = await this.node.dispatch(app, request);
    // The lease lapsed while a replica here ran it: the placer may have started that replica elsewhere.
    this.refuseIfFenced();
    return response;
  }

  private refuseIfFenced(): void {
    const why = this.fence();
    if (why !== null) throw new DispatchError('detached', why, 'send the request to another node (flick nodes lists them), or wait until this one is back in the cluster', 503, 1);
  }

  /** To the nodes hosting the app's replicas in turn; a node that cannot have seen the request is skipped. */
  private async forward(app: string, request: GuestRequest, hops: number): Promise<GuestResponse> {
    if (hops > MAX_HOPS) throw new DispatchError('replica_moving', `the replicas of '${app}' moved while this request was forwarded ${MAX_HOPS} times`, 'retry: the assignment settles within a moment', 503, 1);
    const hosts = this.assignments.peers(app).filter((n) => this.peers.addressOf(n) !== undefined);
    if (hosts.length === 0) throw new DispatchError('unplaced', `no live node hosts a replica of '${app}' now`, 'retry in a moment: the placer re-places replicas of a lost node within its lease TTL', 503, 1);
    const start = this.turn++;
    let last: ForwardError | null = null;
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[(start + i) % hosts.length];
      try {
        return await this.forwarder.forward(this.peers.addressOf(host)!, app, request, hops, { peer: host });
      } catch (e) {
        if (!(e instanceof ForwardError)) throw e;
        last = e;
        // Sent and unanswered: the app may have acted on it, so it is not sent twice.
        if (e.maybeDelivered) break;
      }
    }
    throw last!;
  }
}

/**
 * The deploy target of a cluster node: this node's own (LocalTarget), plus a copy phase that puts
 * the image on the other live members before anything is switched. Without it the image of an
 * acknowledged deploy would live only on the node that took it, and a kill -9 of that node right
 * after the acknowledgement would leave a route no other node can load. The copy needs one other
 * member to have the image (any of them can then give it to the rest, by hash); a node alone in
 * its cluster has no one to copy to.
 */
import type { Image } from '../image/format.js';
import type { DeployTarget, ShadowReport } from '../control/deploy/engine.js';
import type { ReleaseRecord, RouteRecord } from '../control/registry.js';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import type { UpgradeReport } from '../node/node.js';
import type { MemberInfo } from '../cluster/membership.js';
import type { PeerForwarder } from '../cluster/forward.js';
import { HintedError } from '../hinted-error.js';

const COPY_TIMEOUT_MS = 30_000;

export class ImageCopyError extends HintedError {}

export class ClusterTarget implements DeployTarget {
  constructor(
    private readonly local: DeployTarget,
    /** The other live members now. */
    private readonly peers: () => MemberInfo[],
    private readonly link: PeerForwarder,
  ) {}

  async copy(image: Image, bytes: Uint8Array): Promise<void> {
    await this.local.copy(image, bytes);
    const peers = this.peers();
    if (peers.length === 0) return;
    const results = await Promise.allSettled(peers.map((m) => this.push(m, image.id, bytes)));
    if (results.some((r) => r.status === 'fulfilled')) return;
    const why = results.map((r, i) => `${peers[i].name}: ${(r as PromiseRejectedResult).reason?.message ?? r.status}`).join('; ');
    throw new ImageCopyError(`the image could not be copied to any other node (${why})`, 'check that the nodes reach each other (flick nodes lists their addresses); a deploy needs its image on two nodes before it switches');
  }

  private async push(peer: MemberInfo, id: string, bytes: Uint8Array): Promise<void> {
    // A peer that has the image already stores nothing twice (blobs are by hash).
    const res = await this.link.call(peer.address, 'PUT', `/images/${encodeURIComponent(id)}`, bytes, { timeoutMs: COPY_TIMEOUT_MS, peer: peer.name });
    if (res.status !== 201) throw new Error(`answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
  }

  start(release: ReleaseRecord): Promise<void> {
    return this.local.start(release);
  }

  probe(release: ReleaseRecord, request: GuestRequest): Promise<GuestResponse> {
    return this.local.probe(release, request);
  }

  shadow(app: string, candidate: ReleaseRecord, opts: { pct: number; durationMs: number; unsafeMethods: boolean }): Promise<ShadowReport> {
    return this.local.shadow(app, candidate, opts);
  }

  upgrade(app: string, from: number, to: number): Promise<UpgradeReport> {
    return this.local.upgrade(app, from, to);
  }

  abandonUpgrade(app: string, to: number): void {
    this.local.abandonUpgrade(app, to);
  }

  awaitRoute(route: RouteRecord): Promise<void> {
    return this.local.awaitRoute(route);
  }
}

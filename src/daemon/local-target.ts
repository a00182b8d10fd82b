/** The deploy target of a single node: releases run here, images are already in this node's blob store. */
import type { Image } from '../image/format.js';
import type { DeployTarget, ShadowReport } from '../control/deploy/engine.js';
import type { ReleaseRecord, RouteRecord } from '../control/registry.js';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import type { FlickNode, UpgradeReport } from '../node/node.js';
import { releaseId, type ReleaseLoader } from './release-loader.js';
import type { RouteSync } from './route-sync.js';
import type { ShadowTap } from './shadow-tap.js';

export class LocalTarget implements DeployTarget {
  constructor(
    private readonly node: FlickNode,
    private readonly loader: ReleaseLoader,
    private readonly sync: RouteSync,
    private readonly tap: ShadowTap,
  ) {}

  async copy(_image: Image, _bytes: Uint8Array): Promise<void> {
    // One node: the engine's blob store is this node's, nothing to move.
  }

  async start(release: ReleaseRecord): Promise<void> {
    await this.loader.load(release);
  }

  probe(release: ReleaseRecord, request: GuestRequest): Promise<GuestResponse> {
    return this.node.probe(releaseId(release.app, release.seq), request);
  }

  shadow(app: string, candidate: ReleaseRecord, opts: { pct: number; durationMs: number; unsafeMethods: boolean }): Promise<ShadowReport> {
    return this.tap.run(app, releaseId(candidate.app, candidate.seq), opts);
  }

  upgrade(app: string, from: number, to: number): Promise<UpgradeReport> {
    return this.node.upgradeInstances(releaseId(app, from), releaseId(app, to));
  }

  abandonUpgrade(app: string, to: number): void {
    this.node.finishHandover(releaseId(app, to), null);
  }

  awaitRoute(route: RouteRecord): Promise<void> {
    return this.sync.waitFor(route);
  }
}

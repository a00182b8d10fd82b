/**
 * Garbage collection of releases and images. Releases are kept, but not forever: every app keeps
 * the releases its route names (current, previous, canary), the target of a deploy still running,
 * and its newest `keepNewest`; older release records are pruned. Then every image that no remaining
 * release refers to is deleted, unless it was stored within `graceMs`: a deploy stores its image
 * before it records the release, and that image must survive the gap.
 */
import type { BlobStore } from './blob-store.js';
import type { Registry, ReleaseRecord, RouteRecord } from './registry.js';

export interface GcOptions {
  /** Newest releases kept per app besides the routed ones; at least 1, so release numbers are never reused. */
  keepNewest: number;
  /** Images stored more recently than this are never deleted. */
  graceMs: number;
}

export interface GcReport {
  releasesPruned: number;
  imagesDeleted: number;
  bytesFreed: number;
}

export const GC_DEFAULTS: GcOptions = { keepNewest: 10, graceMs: 15 * 60_000 };

export async function collectGarbage(registry: Registry, blobs: BlobStore, opts: GcOptions = GC_DEFAULTS, now = Date.now()): Promise<GcReport> {
  const report: GcReport = { releasesPruned: 0, imagesDeleted: 0, bytesFreed: 0 };
  const referenced = new Set<string>();
  for (const app of await registry.apps({ withoutRoute: true })) {
    const route = await registry.route(app);
    const releases = await registry.releases(app);
    const running = (await registry.deployments(app)).filter((d) => d.status === 'running').map((d) => d.to);
    const keep = keptReleases(releases, route?.record ?? null, running, Math.max(1, opts.keepNewest));
    const prune = releases.filter((r) => !keep.has(r.seq));
    // A route switch since we read it: keep everything this time, the next run will catch up.
    const pruned = await registry.pruneReleases(app, prune.map((r) => r.seq), route?.revision ?? 0);
    for (const r of pruned ? releases.filter((r) => keep.has(r.seq)) : releases) referenced.add(r.image);
    if (pruned) report.releasesPruned += prune.length;
  }
  for (const id of blobs.list()) {
    if (referenced.has(id)) continue;
    const { bytes, storedAt } = blobs.stat(id);
    if (now - storedAt < opts.graceMs) continue;
    blobs.delete(id);
    report.imagesDeleted++;
    report.bytesFreed += bytes;
  }
  return report;
}

function keptReleases(releases: ReleaseRecord[], route: RouteRecord | null, running: number[], keepNewest: number): Set<number> {
  const keep = new Set<number>(running);
  if (route) {
    keep.add(route.release);
    if (route.previous !== null) keep.add(route.previous);
    if (route.canary) keep.add(route.canary.release);
  }
  for (const r of releases.slice(-keepNewest)) keep.add(r.seq);
  return keep;
}

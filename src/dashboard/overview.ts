/**
 * One JSON picture of the node for live views (the dashboard polls it, `flick top` too):
 * schedulers with their load and instances, apps with their current rates and instance mode,
 * recent and running deployments, the last minute's series and the newest traces.
 */
import type { Registry, DeploymentRecord } from '../control/registry.js';
import type { FlickNode } from '../node/node.js';
import type { InstanceView } from '../node/instance-table.js';
import type { InstanceMode } from '../image/manifest.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { LiveSeries } from '../telemetry/live-stats.js';
import { summaryOf, type TraceSummary } from '../telemetry/traces.js';

/** Instances listed in one overview; the counts stay exact beyond it. */
export const MAX_OVERVIEW_INSTANCES = 500;
const DEPLOYMENTS_PER_APP = 5;
/** Per-scheduler busy time is already counted for Prometheus (src/telemetry/metrics.ts); read it, don't count twice. */
const BUSY_METRIC = 'flick_scheduler_busy_seconds_total';

export interface SchedulerOverview {
  index: number;
  outstanding: number;
  replacements: number;
  instances: number;
  /** Of `instances`, those running now (the rest are hibernated or moving). */
  running: number;
  /** Time the thread spent running calls since the node started (cumulative: a view's load is its change over time). */
  busyS: number;
}

export interface AppOverview {
  app: string;
  release: number | null;
  version: string | null;
  previous: number | null;
  canary: { release: number; weight: number } | null;
  releases: number;
  /** The current release's instance mode (null while no release is routed). */
  mode: InstanceMode['mode'] | null;
  /** Replicas apps: the pool size, `flick scale`'s run-time count or else the manifest's; null for other modes. */
  replicas: number | null;
  rps: number;
  errorsPerS: number;
  p99Ms: number | null;
  instances: number;
  memoryBytes: number;
}

export interface Overview {
  node: { startedAt: number; uptimeS: number; schedulers: SchedulerOverview[]; counters: FlickNode['counters']; instances: number; memoryBytes: number };
  apps: AppOverview[];
  instances: InstanceView[];
  /** Newest first, running ones included as they are now. */
  deployments: DeploymentRecord[];
  series: LiveSeries;
  traces: TraceSummary[];
  logs: { heldLines: number; heldChars: number; dropped: number };
}

export interface OverviewDeps {
  node: FlickNode;
  registry: Registry;
  telemetry: Telemetry;
}

export async function overview({ node, registry, telemetry }: OverviewDeps): Promise<Overview> {
  const now = performance.now();
  const perScheduler = new Map<number, { instances: number; running: number }>();
  const perApp = new Map<string, { instances: number; memoryBytes: number }>();
  let memoryBytes = 0;
  for (const rec of node.table.all()) {
    const s = perScheduler.get(rec.scheduler) ?? { instances: 0, running: 0 };
    s.instances++;
    if (rec.status === 'running') s.running++;
    perScheduler.set(rec.scheduler, s);
    const a = perApp.get(rec.app) ?? { instances: 0, memoryBytes: 0 };
    a.instances++;
    if (rec.status === 'running') {
      a.memoryBytes += rec.memoryBytes;
      memoryBytes += rec.memoryBytes;
    }
    perApp.set(rec.app, a);
  }
  const apps: AppOverview[] = [];
  const deployments: DeploymentRecord[] = [];
  for (const app of await registry.apps()) {
    const route = await registry.route(app);
    const releases = await registry.releases(app);
    const current = route ? releases.find((r) => r.seq === route.record.release) : undefined;
    const mode = current?.manifest.instances ?? null;
    apps.push({
      app, release: route?.record.release ?? null, version: current?.version ?? null, previous: route?.record.previous ?? null,
      canary: route?.record.canary ?? null, releases: releases.length, mode: mode?.mode ?? null,
      replicas: mode?.mode === 'replicas' ? (node.replicaCounts.get(app) ?? mode.count) : null,
      ...telemetry.live.rates(app), ...(perApp.get(app) ?? { instances: 0, memoryBytes: 0 }),
    });
    deployments.push(...(await registry.deployments(app)).slice(-DEPLOYMENTS_PER_APP));
  }
  // The watch may have seen a newer state of a running deployment than the list read.
  for (const d of telemetry.deploys.running.values()) {
    const i = deployments.findIndex((x) => x.id === d.id);
    if (i >= 0) deployments[i] = d;
    else deployments.push(d);
  }
  deployments.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const instances = node.table.view(now);
  const busy = await telemetry.metrics.registry.getSingleMetric(BUSY_METRIC)?.get();
  const busyS = new Map((busy?.values ?? []).map((v) => [Number(v.labels.scheduler), v.value]));
  return {
    node: {
      startedAt: telemetry.startedAt, uptimeS: Math.round((Date.now() - telemetry.startedAt) / 1000),
      schedulers: node.schedulers.map((s) => ({
        index: s.index, outstanding: s.outstanding, replacements: s.replacements,
        ...(perScheduler.get(s.index) ?? { instances: 0, running: 0 }), busyS: busyS.get(s.index) ?? 0,
      })),
      counters: { ...node.counters }, instances: node.table.size, memoryBytes,
    },
    apps,
    instances: instances.length > MAX_OVERVIEW_INSTANCES ? instances.slice(0, MAX_OVERVIEW_INSTANCES) : instances,
    deployments,
    series: telemetry.live.series(),
    traces: telemetry.traces.recent(20).map(summaryOf),
    logs: { heldLines: telemetry.logs.heldLines, heldChars: telemetry.logs.heldChars, dropped: telemetry.logs.dropped },
  };
}

/**
 * Hostile neighbours, shared by `bench/neighbours.ts` and `test/node/neighbours.test.ts`: a real
 * node serves examples/hello alone, then beside three hostile apps under load at the same time —
 * one loops forever, one bombs memory, one floods host calls (bench/fixtures/*.wat). Reported:
 * hello's latency alone and with neighbours, what the hostile apps were answered, and whether the
 * node stayed up.
 */
import { percentile, progress, sortedCopy } from './_harness.js';
import { withNode, type NodeProcess } from './_node-process.js';
import { AppClient, SteadyLoad, failures, sleep, type Sample } from './_http.js';
import { watImage, type FixtureManifest } from './_fixtures.js';

export interface NeighboursOptions {
  /** How long hello is measured, alone and then with neighbours. */
  seconds: number;
  /** Closed loops sending hello requests. */
  helloLoops: number;
  /** Closed loops per hostile app. */
  hostileLoops: number;
  /** Which hostile apps run (default: all of them). */
  hostile?: HostileApp[];
}

/** What one hostile app was answered: counts by status and by `x-flick-error` code, and one body. */
export interface HostileAnswers {
  requests: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
  example: string;
}

export interface NeighboursResult {
  solo: LatencyFigures;
  withNeighbours: LatencyFigures;
  hostile: Record<string, HostileAnswers>;
  /** The node process was still running and its control API answered at the end. */
  nodeUp: boolean;
  schedulerReplacements: number;
}

export interface LatencyFigures {
  p50_ms: number;
  p99_ms: number;
  requests: number;
  errors: number;
}

// Budgets as an operator would give them (the examples' own: 10 ms of CPU, 1 s deadline, 1 MiB);
// the bomb may have 16 MiB so that it has somewhere to go before the limit stops it.
export const HOSTILE_APPS = ['spin', 'memory-bomb', 'host-flood'] as const;
export type HostileApp = (typeof HOSTILE_APPS)[number];

const HOSTILE: Record<HostileApp, FixtureManifest> = {
  spin: { name: 'spin', resources: { memoryMiB: 1, cpuMsPerCall: 10, deadlineMs: 1000 } },
  'memory-bomb': { name: 'memory-bomb', resources: { memoryMiB: 16, cpuMsPerCall: 10, deadlineMs: 1000 } },
  'host-flood': { name: 'host-flood', resources: { memoryMiB: 1, cpuMsPerCall: 10, deadlineMs: 1000 } },
};

function latency(samples: Sample[]): LatencyFigures {
  const ms = sortedCopy(samples.map((s) => s.latencyUs / 1000));
  return { p50_ms: percentile(ms, 50), p99_ms: percentile(ms, 99), requests: samples.length, errors: failures(samples).length };
}

function tally(samples: Sample[]): HostileAnswers {
  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  for (const s of samples) {
    statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    const code = s.error ?? 'none';
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return { requests: samples.length, statuses, codes, example: samples[0]?.body.toString().slice(0, 300) ?? '' };
}

async function nodeStatus(node: NodeProcess): Promise<{ up: boolean; replacements: number }> {
  try {
    const status = await node.api.json<{ schedulers: Array<{ replacements: number }> }>('GET', '/status');
    return { up: node.alive, replacements: status.schedulers.reduce((a, s) => a + s.replacements, 0) };
  } catch {
    return { up: false, replacements: -1 };
  }
}

export async function runNeighbours(opts: NeighboursOptions): Promise<NeighboursResult> {
  const apps = opts.hostile ?? [...HOSTILE_APPS];
  return withNode({ demo: true }, async (node) => {
    for (const app of apps) {
      const d = await node.deploy(watImage(app, HOSTILE[app]));
      if (d.status !== 'succeeded') throw new Error(`deploy of ${app} failed: ${d.reason}`);
    }
    const clients = new Map(['hello', ...apps].map((app) => [app, new AppClient(node.url, app, Math.max(opts.helloLoops, opts.hostileLoops))]));
    const request = () => ({ path: '/' });
    try {
      progress(`node at ${node.url}; hello alone for ${opts.seconds} s`);
      await new SteadyLoad(clients.get('hello')!, request, opts.helloLoops).start().stop(); // warm-up: one request per loop opens the connections
      const soloLoad = new SteadyLoad(clients.get('hello')!, request, opts.helloLoops).start();
      await sleep(opts.seconds * 1000);
      const solo = latency(await soloLoad.stop());

      progress(`hello beside ${apps.join(', ')} for ${opts.seconds} s`);
      const hostileLoads = apps.map((app) => [app, new SteadyLoad(clients.get(app)!, request, opts.hostileLoops).start()] as const);
      await sleep(200); // the neighbours are at full tilt before hello is measured
      const helloLoad = new SteadyLoad(clients.get('hello')!, request, opts.helloLoops).start();
      await sleep(opts.seconds * 1000);
      const withNeighbours = latency(await helloLoad.stop());
      const hostile: Record<string, HostileAnswers> = {};
      for (const [app, load] of hostileLoads) hostile[app] = tally(await load.stop());
      const status = await nodeStatus(node);
      return { solo, withNeighbours, hostile, nodeUp: status.up, schedulerReplacements: status.replacements };
    } finally {
      await Promise.all([...clients.values()].map((c) => c.close()));
    }
  });
}

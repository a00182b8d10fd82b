/**
 * Hostile neighbours, shared by `bench/neighbours.ts` and `test/node/neighbours.test.ts`: a real
 * node serves examples/hello alone, then beside three hostile apps under load at the same time —
 * one loops forever, one bombs memory, one floods host calls (bench/fixtures/*.wat). Reported:
 * hello's latency alone and with neighbours, what the hostile apps were answered, and whether the
 * node stayed up. The hostile clients run in a process of their own (_hostile-load.ts).
 */
import { fileURLToPath } from 'node:url';
import { percentile, progress, sortedCopy } from './_harness.js';
import { withNode, type NodeProcess } from './_node-process.js';
import { AppClient, SteadyLoad, failures, sleep, type Sample } from './_http.js';
import { watImage, type FixtureManifest } from './_fixtures.js';
import { ask, spawnRaised, stop } from './_child.js';
import type { HostileAnswers, HostileStarted, HostileStopped, StartHostile } from './_hostile-load.js';

export type { HostileAnswers };

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
    const hello = new AppClient(node.url, 'hello', opts.helloLoops);
    const attackers = spawnRaised(fileURLToPath(new URL(`./_hostile-load${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)), []);
    const request = () => ({ path: '/' });
    try {
      progress(`node at ${node.url}; hello alone for ${opts.seconds} s`);
      await new SteadyLoad(hello, request, opts.helloLoops).start().stop(); // warm-up: one request per loop opens the connections
      const soloLoad = new SteadyLoad(hello, request, opts.helloLoops).start();
      await sleep(opts.seconds * 1000);
      const solo = latency(await soloLoad.stop());

      progress(`hello beside ${apps.join(', ')} for ${opts.seconds} s`);
      await ask<HostileStarted, StartHostile>(attackers, { t: 'start', url: node.url, apps, loops: opts.hostileLoops }, 'started');
      await sleep(200); // the neighbours are at full tilt before hello is measured
      const helloLoad = new SteadyLoad(hello, request, opts.helloLoops).start();
      await sleep(opts.seconds * 1000);
      const withNeighbours = latency(await helloLoad.stop());
      const { answers: hostile } = await ask<HostileStopped>(attackers, { t: 'stop' }, 'stopped');
      const status = await nodeStatus(node);
      return { solo, withNeighbours, hostile, nodeUp: status.up, schedulerReplacements: status.replacements };
    } finally {
      await hello.close();
      await stop(attackers);
    }
  });
}

/**
 * Hostile neighbours, shared by `bench/neighbours.ts`, `bench/hostile.ts` (through
 * `_hostile-suite.ts`) and their tests: a real node serves examples/hello, alone and beside
 * attacks (bench/_attacks.ts) — hostile apps deployed next to it, or hostile clients at its front
 * door. Reported: hello's latency alone and under attack, what the attackers were answered, and
 * whether the node stayed up. The attackers run in a process of their own (_hostile-load.ts).
 */
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { percentile, progress, sortedCopy } from './_harness.js';
import { withNode, type NodeProcess } from './_node-process.js';
import { AppClient, SteadyLoad, failures, sleep, type Sample } from './_http.js';
import { watImage } from './_fixtures.js';
import { ask, spawnRaised, stop } from './_child.js';
import { APP_MANIFESTS, isAppAttack, type Attack } from './_attacks.js';
import type { HostileAnswers, HostileStarted, HostileStopped, StartHostile } from './_hostile-load.js';

export type { HostileAnswers };

/** The neighbours bench's three: a forever loop, a memory bomb and a host-call flood, at once. */
export const HOSTILE_APPS = ['spin', 'memory-bomb', 'host-flood'] as const;
export type HostileApp = (typeof HOSTILE_APPS)[number];

export interface LatencyFigures {
  p50_ms: number;
  p99_ms: number;
  requests: number;
  errors: number;
}

export interface Load {
  /** Closed loops sending hello requests. */
  helloLoops: number;
  /** Closed loops per hostile app (and per fast client attack). */
  hostileLoops: number;
  /** Connections per slow client attack (slowloris, slow body). */
  slowConnections?: number;
}

export interface NodeHealth {
  /** The node process was still running and its control API answered. */
  nodeUp: boolean;
  schedulerReplacements: number;
}

function latency(samples: Sample[]): LatencyFigures {
  const ms = sortedCopy(samples.map((s) => s.latencyUs / 1000));
  return { p50_ms: percentile(ms, 50), p99_ms: percentile(ms, 99), requests: samples.length, errors: failures(samples).length };
}

const HELLO_HOST = 'hello.localhost';
const DEFAULT_SLOW_CONNECTIONS = 300;

/** A node with hello and the attacks' apps deployed, a hello client, and the attackers' process. */
export class HostileSession {
  private constructor(
    readonly node: NodeProcess,
    private readonly hello: AppClient,
    private readonly attackers: ChildProcess,
    private readonly load: Load,
  ) {}

  /** Starts the attackers, deploys the apps `attacks` need on a fresh node, runs `body`, and cleans up. */
  static run<T>(attacks: readonly Attack[], load: Load, body: (s: HostileSession) => Promise<T>): Promise<T> {
    return withNode({ demo: true }, async (node) => {
      for (const app of attacks.filter(isAppAttack)) {
        const d = await node.deploy(watImage(app, APP_MANIFESTS[app]));
        if (d.status !== 'succeeded') throw new Error(`deploy of ${app} failed: ${d.reason}`);
      }
      const hello = new AppClient(node.url, 'hello', load.helloLoops);
      const attackers = spawnRaised(fileURLToPath(new URL(`./_hostile-load${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)), []);
      try {
        progress(`node at ${node.url}`);
        await new SteadyLoad(hello, helloRequest, load.helloLoops).start().stop(); // warm-up: one request per loop opens the connections
        return await body(new HostileSession(node, hello, attackers, load));
      } finally {
        await hello.close();
        await stop(attackers);
      }
    });
  }

  /** hello's latency over `ms`, with whatever else runs meanwhile. */
  async measure(ms: number): Promise<LatencyFigures> {
    const run = new SteadyLoad(this.hello, helloRequest, this.load.helloLoops).start();
    await sleep(ms);
    return latency(await run.stop());
  }

  /** hello's latency over `ms` while `attacks` run, and what each attack was answered. */
  async beside(attacks: readonly Attack[], ms: number): Promise<{ during: LatencyFigures; answers: Record<string, HostileAnswers> }> {
    const start: StartHostile = {
      t: 'start',
      url: this.node.url,
      attacks: [...attacks],
      loops: this.load.hostileLoops,
      connections: this.load.slowConnections ?? DEFAULT_SLOW_CONNECTIONS,
      victimHost: HELLO_HOST,
    };
    await ask<HostileStarted, StartHostile>(this.attackers, start, 'started');
    await sleep(200); // the attackers are at full tilt before hello is measured
    const during = await this.measure(ms);
    const { answers } = await ask<HostileStopped>(this.attackers, { t: 'stop' }, 'stopped');
    return { during, answers };
  }

  async health(): Promise<NodeHealth> {
    try {
      const status = await this.node.api.json<{ schedulers: Array<{ replacements: number }> }>('GET', '/status');
      return { nodeUp: this.node.alive, schedulerReplacements: status.schedulers.reduce((a, s) => a + s.replacements, 0) };
    } catch {
      return { nodeUp: false, schedulerReplacements: -1 };
    }
  }
}

const helloRequest = () => ({ path: '/' });

export interface NeighboursOptions extends Load {
  /** How long hello is measured, alone and then with neighbours. */
  seconds: number;
  /** Which hostile apps run (default: all three). */
  hostile?: HostileApp[];
}

export interface NeighboursResult extends NodeHealth {
  solo: LatencyFigures;
  withNeighbours: LatencyFigures;
  hostile: Record<string, HostileAnswers>;
}

/** hello alone, then beside all the hostile apps at once. */
export function runNeighbours(opts: NeighboursOptions): Promise<NeighboursResult> {
  const apps = opts.hostile ?? [...HOSTILE_APPS];
  return HostileSession.run(apps, opts, async (s) => {
    progress(`hello alone for ${opts.seconds} s`);
    const solo = await s.measure(opts.seconds * 1000);
    progress(`hello beside ${apps.join(', ')} for ${opts.seconds} s`);
    const { during, answers } = await s.beside(apps, opts.seconds * 1000);
    return { solo, withNeighbours: during, hostile: answers, ...(await s.health()) };
  });
}

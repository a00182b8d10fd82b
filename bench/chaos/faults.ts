/**
 * The faults a chaos run injects, each recorded in the ledger with its window and followed by a
 * convergence measurement: a scheduler thread killed (the stall app holds it past the node's
 * watchdog, which terminates the thread and starts a fresh one — there is no control endpoint to
 * kill one), a node killed with kill -9 and later restarted from its data directory, etcd paused
 * with SIGSTOP, and deploys and rollbacks through a random live node.
 */
import { progress } from '../_harness.js';
import { STALL, VERSIONED_APPS, versionedImage, type VersionedApp } from './apps.js';
import type { ChaosCluster } from './cluster.js';
import type { Clients } from './clients.js';
import { convergence, storeTags } from './convergence.js';
import type { Change, Fault, FaultKind, Ledger } from './ledger.js';
import { pause } from './load.js';
import type { Random } from './random.js';

/** A deploy or rollback with no answer within this is of unknown outcome (the store decides). */
const CHANGE_TIMEOUT_MS = 60_000;
/** How long the store may keep a deploy "running" after its node died, before the placer settles it. */
const SETTLE_BOUND_MS = 20_000;

export class Faults {
  private readonly releases = new Map<VersionedApp, number>(VERSIONED_APPS.map((a) => [a, 1]));

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly clients: Clients,
    private readonly ledger: Ledger,
    private readonly random: Random,
  ) {}

  /** Holds a scheduler of a random node past its watchdog; the node replaces the thread. */
  async killScheduler(): Promise<void> {
    const node = this.random.pick(this.cluster.live());
    await this.measured('scheduler-kill', `a scheduler of ${node}`, async (f) => {
      const a = await this.clients.get(node, STALL);
      f.detail += ` (the stall request got ${a.status} ${a.error ?? ''})`;
    });
  }

  /** kill -9 a random node; once the others have converged without it, start it again. */
  async killNode(): Promise<void> {
    if (this.cluster.live().length < 3) return;
    const victim = this.random.pick(this.cluster.live());
    const downMs = this.random.int(0, 3000);
    await this.measured('node-kill', victim, () => this.cluster.kill(victim));
    await pause(downMs);
    await this.measured('node-restart', `${victim} after ${downMs} ms more down`, () => this.cluster.restart(victim).then(() => {}));
  }

  /** SIGSTOP etcd for 1–4 s: leases are not renewed, watches stall, changes cannot commit. */
  async pauseEtcd(): Promise<void> {
    const ms = this.random.int(1000, 4000);
    await this.measured('etcd-pause', `${ms} ms`, async () => {
      this.cluster.etcd.pause();
      await pause(ms);
      this.cluster.etcd.resume();
    });
  }

  /** Deploys the next release of a random app through a random live node. */
  async deploy(): Promise<void> {
    const app = this.random.pick(VERSIONED_APPS);
    const n = this.releases.get(app)! + 1;
    this.releases.set(app, n);
    const node = this.random.pick(this.cluster.live());
    await this.change(app, 'deploy', `v${n}`, node, async () => (await this.cluster.node(node).deploy(versionedImage(app, n))).status);
  }

  /** Rolls a random app back to its previous release, through a random live node. */
  async rollback(): Promise<void> {
    const app = this.random.pick(VERSIONED_APPS);
    const node = this.random.pick(this.cluster.live());
    const { previous } = await storeTags(this.cluster, node, app).catch(() => ({ previous: null }));
    if (previous === null) return this.deploy(); // nothing to go back to yet
    await this.change(app, 'rollback', previous, node, async () => (await this.cluster.node(node).rollback(app)).status);
  }

  /** Runs a change and settles it in the ledger by its answer and what the store holds afterwards. */
  private async change(app: VersionedApp, kind: Change['kind'], target: string, node: string, run: () => Promise<string>): Promise<void> {
    const c = this.ledger.beginChange(app, kind, target);
    await this.measured(kind, `${app} ${c.before} → ${target} via ${node}`, async (f) => {
      let outcome: NonNullable<Change['outcome']>;
      try {
        outcome = (await withTimeout(run(), CHANGE_TIMEOUT_MS)) === 'succeeded' ? 'acked' : 'refused';
      } catch (e) {
        // Refused with an error (503 detached, unavailable) or no answer (its node died): the store says.
        outcome = 'unknown';
        f.detail += ` (${(e as Error).message.slice(0, 120)})`;
      }
      f.detail += `: ${outcome}`;
      this.ledger.resolveChange(c, outcome, await this.settledTag(app));
    });
  }

  /** The store's tag for `app` once no deployment of it is running (a dead node's is settled by the placer). */
  private async settledTag(app: VersionedApp): Promise<string> {
    const end = Date.now() + SETTLE_BOUND_MS;
    for (;;) {
      try {
        const node = this.random.pick(this.cluster.live());
        const deployments = await this.cluster.node(node).api.json<Array<{ status: string }>>('GET', `/apps/${app}/deployments`);
        if (!deployments.some((d) => d.status === 'running') || Date.now() > end) return (await storeTags(this.cluster, node, app)).current;
      } catch {
        if (Date.now() > end) throw new Error(`the store could not be read for ${app} within ${SETTLE_BOUND_MS} ms`);
      }
      await pause(200);
    }
  }

  /** Runs `inject` as a fault of `kind`, then measures how long the cluster takes to converge after it. */
  private async measured(kind: FaultKind, detail: string, inject: (f: Fault) => Promise<void>): Promise<void> {
    const f = this.ledger.beginFault(kind, detail);
    progress(`chaos: ${this.ledger.t(f.start)} ${kind}: ${detail}`);
    try {
      await inject(f);
    } finally {
      f.lifted = Date.now();
    }
    const ms = await convergence(this.cluster, this.clients, this.ledger, f.lifted);
    this.ledger.endFault(f, ms);
    progress(`chaos: ${this.ledger.t(Date.now())}   ${kind} ${f.detail} → converged ${ms === null ? 'NOT within the bound' : `in ${ms} ms`}`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Has the cluster converged? Every live node answers every app with a release allowed now (the
 * expected one, or either side of a change still under way) — the per-key app for probe keys spread
 * over the owners, each key from one copy of its instance; the replicas app once per replica — and
 * the store holds the expected release of every app with no change under way (else an
 * acknowledged change was lost). Polled until it holds, within a bound.
 */
import { POOL, POOL_REPLICAS, TALLY, VERSIONED_APPS, tagOfVersion, type VersionedApp } from './apps.js';
import type { ChaosCluster } from './cluster.js';
import type { Clients } from './clients.js';
import type { Ledger, Sample } from './ledger.js';
import { pause } from './load.js';

/** Probe keys: enough that each of three nodes owns some (rendezvous hashing). */
const PROBE_KEYS = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
const BOUND_MS = 30_000;
const ROUND_PAUSE_MS = 100;

interface AppView {
  route: { release: number; previous: number | null };
  releases: Array<{ seq: number; version: string }>;
}

/** The tag the store routes `app` to, asked through `node`; its previous tag too (what rollback goes to). */
export async function storeTags(cluster: ChaosCluster, node: string, app: VersionedApp): Promise<{ current: string; previous: string | null }> {
  const view = await cluster.node(node).api.json<AppView>('GET', `/apps/${app}`);
  const tag = (seq: number | null) => {
    const r = view.releases.find((x) => x.seq === seq);
    return r ? tagOfVersion(r.version) : null;
  };
  return { current: tag(view.route.release)!, previous: tag(view.route.previous) };
}

/**
 * A probe key asked through every live node in turn: served by one copy of its instance, wherever
 * it lives, so its count goes up by one from each answer to the next (two copies — a split key —
 * would answer from two counts).
 */
async function keyServedOnce(clients: Clients, ledger: Ledger, nodes: string[], key: string): Promise<boolean> {
  let prev: Sample | undefined;
  for (const node of nodes) {
    const s = await clients.ask(node, TALLY, key, true);
    if (s.status !== 200 || !ledger.allowedNow(TALLY).has(s.tag!)) return false;
    if (prev && prev.tag === s.tag && s.count !== prev.count! + 1) return false;
    prev = s;
  }
  return true;
}

/** Every replica of the pool answered through `node` (requests go round the replicas). */
async function poolServes(clients: Clients, ledger: Ledger, node: string): Promise<boolean> {
  const answers = await Promise.all(Array.from({ length: POOL_REPLICAS }, () => clients.ask(node, POOL, null, true)));
  return answers.every((s) => s.status === 200 && ledger.allowedNow(POOL).has(s.tag!));
}

/** Mismatches already reported: the store is read every round, a lost change is one violation. */
const reported = new Set<string>();

async function storeHolds(cluster: ChaosCluster, ledger: Ledger, node: string): Promise<boolean> {
  for (const app of VERSIONED_APPS) {
    const readAt = Date.now();
    const { current } = await storeTags(cluster, node, app);
    // A change under way, or settled while the store was read, may explain a difference.
    if (ledger.changes.some((c) => c.app === app && (c.resolvedAt ?? Infinity) >= readAt)) continue;
    if (current === ledger.expected(app)) continue;
    const what = `the store routes ${app} to ${current}; the last settled change left ${ledger.expected(app)}`;
    if (!reported.has(what)) ledger.violate('acknowledged change lost', what);
    reported.add(what);
    return false;
  }
  return true;
}

/** One probe round: every live node serves, each probe key from one copy, and the store holds what it should. */
async function round(cluster: ChaosCluster, clients: Clients, ledger: Ledger): Promise<boolean> {
  const live = cluster.live();
  try {
    const served = await Promise.all([...PROBE_KEYS.map((k) => keyServedOnce(clients, ledger, live, k)), ...live.map((n) => poolServes(clients, ledger, n))]);
    return live.length > 0 && served.every(Boolean) && (await storeHolds(cluster, ledger, live[0]));
  } catch {
    return false; // a node died under the probe, or its API did not answer: not converged yet
  }
}

/** Rounds of concurrent measurements (a fault's and a change's) take turns: interleaved on a key, their counts would look split. */
let turn: Promise<unknown> = Promise.resolve();

/** Ms from `since` until the cluster has converged; null when it has not within the bound. */
export async function convergence(cluster: ChaosCluster, clients: Clients, ledger: Ledger, since: number): Promise<number | null> {
  while (Date.now() - since < BOUND_MS) {
    const mine = turn.then(() => round(cluster, clients, ledger));
    turn = mine;
    if (await mine) return Date.now() - since;
    await pause(ROUND_PAUSE_MS);
  }
  return null;
}

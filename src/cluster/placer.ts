/**
 * The placer's work, done only by the node holding the placer term (placer-election.ts): keep one
 * assignment per replicas app (`/flick/assign/<app>`: the node of each replica) equal to what
 * placement.ts decides for the live members, and settle the deployments of node processes that
 * died mid-deploy. It reacts to membership changes, route and scale changes, and its own election;
 * a periodic pass catches anything a watch could have missed.
 *
 * Every write is fenced by the term (`fencedTransact`) and also compares the revision of the key
 * it read, so a deposed placer changes nothing and a decision is never made from a stale read.
 */
import type { KeyValue, Store, Watch } from '../control/store/store.js';
import { decodeRecord, encodeRecord, keys, parseKey, ROOT, type DeploymentRecord, type ReleaseRecord, type RouteRecord, type ScaleRecord } from '../control/registry.js';
import { settledRecord } from '../control/deploy/settle.js';
import type { MemberInfo } from './membership.js';
import { ASSIGN_PREFIX, assignKey, decodeAssignment, type AssignmentRecord } from './assignments.js';
import { placeReplicas, PlacementError, type Candidate, type Placement } from './placement.js';
import { fencedTransact, PlacerDeposedError, type PlacerElection, type PlacerTerm } from './placer-election.js';

const MiB = 1 << 20;

/** What the placer needs of membership (Membership implements it). */
export interface MemberView {
  members(): MemberInfo[];
  onChange(listener: (members: MemberInfo[]) => void): () => void;
}

export interface PlacerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface PlacerOptions {
  /** Full pass even without events, ms. */
  resyncMs?: number;
  /** Pause before retrying after the store failed, ms. */
  retryMs?: number;
}

/** A replicas app as the routes and scale records say it should run. */
interface Pool {
  count: number;
  memoryBytes: number;
}

export class Placer {
  private term: PlacerTerm | null = null;
  private watch: Watch | null = null;
  private running: Promise<void> | null = null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: Array<() => void> = [];
  /** Passes done and assignment writes made, for tests and the logs. */
  readonly stats = { passes: 0, writes: 0, settled: 0 };

  constructor(
    private readonly store: Store,
    private readonly members: MemberView,
    election: PlacerElection,
    private readonly log: PlacerLog,
    private readonly opts: PlacerOptions = {},
  ) {
    this.unsubscribe.push(
      election.onElected((term) => void this.lead(term)),
      election.onDeposed((term, why) => this.stepDown(term, why)),
      members.onChange(() => this.schedule()),
    );
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    if (this.term) this.stepDown(this.term, 'closing');
    await this.running?.catch(() => undefined);
  }

  private async lead(term: PlacerTerm): Promise<void> {
    this.term = term;
    this.log.info({ node: term.node, term: term.token }, 'this node is the placer');
    this.timer = setInterval(() => this.schedule(), this.opts.resyncMs ?? 5_000);
    this.timer.unref();
    this.schedule();
    try {
      // Routes and scale records decide the pools; their changes trigger a pass.
      const watch = await this.store.watch(ROOT, { fromRevision: (await this.store.revision()) + 1 });
      if (this.term !== term) return void (await watch.close());
      this.watch = watch;
      void this.follow(watch, term);
    } catch {
      // The store failed right after the election: the periodic pass stands in for the watch.
    }
  }

  private stepDown(term: PlacerTerm, why: string): void {
    if (this.term?.token !== term.token) return;
    this.term = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.watch?.close();
    this.watch = null;
    this.log.warn({ node: term.node, term: term.token, why }, 'this node is no longer the placer');
  }

  private async follow(watch: Watch, term: PlacerTerm): Promise<void> {
    try {
      for await (const ev of watch) {
        const kind = parseKey(ev.key)?.kind;
        if (kind === 'route' || kind === 'scale') this.schedule();
      }
    } catch {
      // The watch failed (compacted history): the periodic pass still runs while the term lasts.
      if (this.term === term) this.schedule();
    }
  }

  /** Asks for a pass; passes never overlap, and requests made during one cause one more. */
  private schedule(): void {
    if (!this.term) return;
    this.dirty = true;
    if (this.running) return;
    this.running = (async () => {
      while (this.dirty && this.term) {
        this.dirty = false;
        const term = this.term;
        try {
          await this.pass(term);
        } catch (e) {
          if (e instanceof PlacerDeposedError) {
            this.stepDown(term, e.message);
            break;
          }
          this.log.warn({ err: (e as Error).message }, 'placer pass failed; retrying');
          await new Promise((r) => setTimeout(r, this.opts.retryMs ?? 250).unref());
          this.dirty = true;
        }
      }
      this.running = null;
    })();
  }

  /** One full pass: read everything it decides from, write what differs. */
  private async pass(term: PlacerTerm): Promise<void> {
    this.stats.passes++;
    const live = this.members.members();
    const [records, assigned] = await Promise.all([this.store.list(ROOT), this.store.list(ASSIGN_PREFIX)]);
    const state = readState(records);
    const current = new Map(assigned.map((kv) => [decodeAssignment(kv).app, { record: decodeAssignment(kv), revision: kv.revision }]));
    const used = new Map<string, number>();
    for (const [app, pool] of [...state.pools].sort(([a], [b]) => a.localeCompare(b))) {
      const was = current.get(app);
      const next = place(app, pool, live, used, was?.record, term);
      for (const n of next.replicas) if (n !== null) used.set(n, (used.get(n) ?? 0) + pool.memoryBytes);
      if (was && sameAssignment(was.record, next)) continue;
      const r = await fencedTransact(this.store, term, { conditions: [{ key: assignKey(app), revision: was?.revision ?? 0 }], writes: [{ op: 'put', key: assignKey(app), value: encodeRecord(next) }] });
      if (!r.ok) {
        this.dirty = true; // someone else wrote it (a previous term's last write): decide again from a fresh read
        continue;
      }
      this.stats.writes++;
      this.log.info({ app, replicas: next.replicas, was: was?.record.replicas ?? null, unplaced: next.unplaced }, 'replicas assigned');
    }
    for (const [app, { revision }] of current) {
      if (state.pools.has(app)) continue;
      await fencedTransact(this.store, term, { conditions: [{ key: assignKey(app), revision }], writes: [{ op: 'delete', key: assignKey(app) }] });
    }
    await this.settleOrphans(term, live, state);
  }

  /** Deployments still running whose node process is no longer a member were cut off: the route says how they ended. */
  private async settleOrphans(term: PlacerTerm, live: MemberInfo[], state: ClusterState): Promise<void> {
    const alive = new Set(live.map((m) => `${m.name}@${m.startedAt}`));
    for (const { record: d, revision } of state.running) {
      if (!d.by || alive.has(`${d.by.node}@${d.by.startedAt}`)) continue;
      const route = state.routes.get(d.app);
      const settled = settledRecord(d, route?.record, `the loss of node ${d.by.node}`);
      const r = await fencedTransact(this.store, term, {
        conditions: [{ key: keys.route(d.app), revision: route?.revision ?? 0 }, { key: keys.deployment(d.app, d.seq), revision }],
        writes: [{ op: 'put', key: keys.deployment(d.app, d.seq), value: encodeRecord(settled) }],
      });
      if (!r.ok) {
        this.dirty = true;
        continue;
      }
      this.stats.settled++;
      this.log.warn({ deployment: d.id, node: d.by.node, status: settled.status }, 'settled the deployment of a lost node');
    }
  }
}

interface ClusterState {
  pools: Map<string, Pool>;
  routes: Map<string, { record: RouteRecord; revision: number }>;
  running: Array<{ record: DeploymentRecord; revision: number }>;
}

/** Pools, routes and running deployments from one read of the app records. */
function readState(records: KeyValue[]): ClusterState {
  const routes = new Map<string, { record: RouteRecord; revision: number }>();
  const releases = new Map<string, ReleaseRecord>();
  const scales = new Map<string, number>();
  const running: ClusterState['running'] = [];
  for (const kv of records) {
    const k = parseKey(kv.key);
    if (k?.kind === 'route') routes.set(k.app, { record: decodeRecord<RouteRecord>(kv), revision: kv.revision });
    else if (k?.kind === 'release') releases.set(kv.key, decodeRecord<ReleaseRecord>(kv));
    else if (k?.kind === 'scale') scales.set(k.app, decodeRecord<ScaleRecord>(kv).replicas);
    else if (k?.kind === 'deploy') {
      const d = decodeRecord<DeploymentRecord>(kv);
      if (d.status === 'running') running.push({ record: d, revision: kv.revision });
    }
  }
  const pools = new Map<string, Pool>();
  for (const [app, { record }] of routes) {
    const manifest = releases.get(keys.release(app, record.release))?.manifest;
    if (manifest?.instances.mode !== 'replicas') continue;
    pools.set(app, { count: scales.get(app) ?? manifest.instances.count, memoryBytes: manifest.resources.memoryMiB * MiB });
  }
  return { pools, routes, running };
}

/** The assignment placement.ts gives for the live members, keeping replicas where they are when spread allows. */
function place(app: string, pool: Pool, live: MemberInfo[], used: Map<string, number>, was: AssignmentRecord | undefined, term: PlacerTerm): AssignmentRecord {
  const candidates: Candidate[] = live.map((m) => ({ node: m.name, topology: m.topology, freeBytes: m.capacity.memoryBytes - (used.get(m.name) ?? 0) }));
  let placed: Array<Placement | undefined>;
  let unplaced: string | null = null;
  try {
    placed = placeReplicas(pool.count, pool.memoryBytes, candidates, { current: (was?.replicas ?? []).map((n) => n ?? undefined) });
  } catch (e) {
    if (!(e instanceof PlacementError)) throw e;
    placed = e.placed;
    unplaced = `${e.message} (${e.hint})`;
  }
  const replicas = Array.from({ length: pool.count }, (_, i) => placed[i]?.node ?? null);
  return { app, replicas, memoryBytes: pool.memoryBytes, unplaced, placer: { node: term.node, token: term.token }, at: new Date().toISOString() };
}

function sameAssignment(a: AssignmentRecord, b: AssignmentRecord): boolean {
  return a.memoryBytes === b.memoryBytes && a.unplaced === b.unplaced && a.replicas.length === b.replicas.length && a.replicas.every((n, i) => n === b.replicas[i]);
}

/**
 * One flick node on one machine: scheduler threads, the releases they have loaded, the instance
 * table, and the request path from an app name to a response:
 *   route (app → release) → instance lookup (mode, key) → spawn / wake if absent → scheduler → call.
 * It knows nothing of sockets (ingress) or of where releases come from (control plane).
 */
import { availableParallelism } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { serialize, deserialize } from 'node:v8';
import { EventEmitter } from 'node:events';
import type { Image } from '../image/format.js';
import type { Manifest } from '../image/manifest.js';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import { prepareWasm } from '../runtime/wasm/prepare.js';
import { Scheduler } from './scheduler/scheduler.js';
import { monotonicUs, type InstanceSnapshot, type LogLine, type ReleaseCode, type Reply, type WireError } from './scheduler/protocol.js';
import { InstanceTable, type InstanceRecord } from './instance-table.js';
import { instanceKey } from './instance-key.js';
import { DEFAULT_BREAKER, LimitBreaker, LIMIT_CODES, type BreakerPolicy } from './limit-breaker.js';
import { InstanceProcesses } from './instance-processes.js';
import { ReplicaPools } from './replica-pools.js';
import type { MailboxMessage } from '../runtime/messaging.js';
import { formatExitReason, isCleanExit, type ChildHandle, type ExitReason } from '../supervisor/index.js';

export interface NodeOptions {
  /** Scheduler threads; defaults to one per core. */
  schedulers?: number;
  /** Data directory: KV data and hibernated snapshots live here. */
  dataDir: string;
  /** Watchdog: a call outstanding this long means its scheduler is stuck. */
  stallMs?: number;
  /** How often idle instances are looked for, ms. */
  hibernateSweepMs?: number;
  /** When an app that keeps hitting its limits is refused for a while. */
  breaker?: BreakerPolicy;
  /** In a cluster: KV writes go to the replicated store before a request is answered (src/node/kv-journal.ts). */
  replicatedKv?: boolean;
}

export interface Release {
  id: string;
  app: string;
  manifest: Manifest;
  imageId: string;
  code: ReleaseCode;
}

/** A request the node could not serve; ingress turns it into an HTTP answer. */
export class DispatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    readonly httpStatus: number,
    /** Seconds after which a retry may succeed (503s): ingress sends it as Retry-After. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'DispatchError';
  }
  static from(w: WireError): DispatchError {
    return new DispatchError(w.code, w.message, w.hint, w.httpStatus);
  }
}

/** The key's instance moved to another node while this request waited for it; the cluster's key router sends it there. */
export class KeyMovedAway extends DispatchError {
  constructor(
    readonly app: string,
    readonly key: string,
    readonly node: string,
  ) {
    super('key_moved', `the instance of key '${key}' of app '${app}' moved to node ${node}`, 'retry: any node forwards the request to the key\'s new node', 503, 1);
  }
}

/** The loss of a scheduler thread during a call, as a 503 the client may retry. */
function lostAsDispatch(e: unknown): DispatchError {
  return new DispatchError('scheduler_lost', (e as Error).message, 'retry the request: instances come back from their last snapshots', 503);
}

/** A call to a scheduler; the loss of its thread becomes a 503 the client may retry. */
async function callScheduler(s: Scheduler, release: string, instance: string | null, request: GuestRequest, restore?: InstanceSnapshot, messaging?: { self: string | null }): Promise<Reply> {
  try {
    return await s.call(release, instance, request, restore, messaging);
  } catch (e) {
    throw lostAsDispatch(e);
  }
}

/**
 * Wasm is compiled (and checked) once here and the module shared with every scheduler. A JS bundle
 * goes as bytes: each scheduler evaluates it on load (JsApp does on construction), and a load that
 * fails fails the release. Evaluating it here first as well cost the node's thread ~4 ms per JS
 * deploy, on the path of its cold start (docs/decisions.md, "Releases load on the schedulers").
 */
function releaseCode(image: Image, manifest: Manifest): ReleaseCode {
  if (manifest.runtime === 'js') return { runtime: 'js', bundle: image.code };
  return { runtime: 'wasm', prepared: prepareWasm(manifest, image.code, image.id) };
}

/** Whether a release's instances can take over state from an old release: JS always can (`env.state`), wasm through its `flick_upgrade` export. */
function takesState(code: ReleaseCode): boolean {
  return code.runtime === 'js' || WebAssembly.Module.exports(code.prepared.module).some((e) => e.name === 'flick_upgrade');
}

/** What moving an app's instances to a new release did (the deploy's upgrade phase reports it). */
export interface UpgradeReport {
  /** Why nothing was moved (no hook, no instances to move); null when the hook ran. */
  skipped: string | null;
  /** How state reaches the new code: a wasm release's hook, or a JS release's `env.state`. */
  how: 'by flick_upgrade' | 'with env.state';
  moved: number;
  /** Keys whose state the new release refused or could not take: they stay on the old release. */
  failed: Array<{ key: string; reason: string }>;
}

export interface ActiveRoute {
  release: string;
  canary: { release: string; weight: number } | null;
}

/** One request through the node, for telemetry: where it ran, how it ended, how long each part took. */
export interface RequestEvent {
  /** The request itself (by reference): lets telemetry pair the event with what it knows of it. */
  request: GuestRequest;
  app: string;
  release: string;
  instance: string | null;
  scheduler: number;
  status: number;
  /** A DispatchError code when the request failed. */
  error: string | null;
  /** `performance.now()` when the node took the request, ms. */
  startedAt: number;
  durationMs: number;
  /** Time the scheduler spent on it (queueing excluded), µs. */
  schedulerUs: number;
}

export interface NodeEvents {
  log: [LogLine];
  request: [RequestEvent];
  instance: [event: 'spawn' | 'hibernate' | 'wake' | 'migrate' | 'crash' | 'lost' | 'stop', rec: InstanceRecord];
  /** An app was routed (again): a deploy's switch, a rollback, a restart reading the routes. */
  route: [app: string];
}

/**
 * How long a move paused its instance (from its start until the instance ran on the new thread),
 * and where the time went: `snapshotMs` until the snapshot was back on the node's thread, of which
 * `reachMs` until the old thread took it up and `workMs` its own work; `restoreMs` from there until
 * the instance ran, of which `reachMs` until the new thread took it up and `workMs` its own work.
 * The rest of each phase is time spent waiting for a thread to run.
 */
export interface MigrationTiming {
  pauseMs: number;
  phases: { snapshotMs: number; restoreMs: number; snapshot?: ThreadTiming; restore?: ThreadTiming };
}

export interface ThreadTiming {
  reachMs: number;
  workMs: number;
}

function threadTiming(sentAtUs: number, reply: Reply): ThreadTiming | undefined {
  if (reply.startedAtUs === undefined || reply.doneAtUs === undefined) return undefined;
  return { reachMs: (reply.startedAtUs - sentAtUs) / 1000, workMs: (reply.doneAtUs - reply.startedAtUs) / 1000 };
}

export class FlickNode extends EventEmitter<NodeEvents> {
  readonly schedulers: Scheduler[];
  readonly table = new InstanceTable();
  readonly releases = new Map<string, Release>();
  /** Releases being loaded on the schedulers (addRelease). */
  private readonly loading = new Map<string, Promise<Release>>();
  /** What serves each app: a release, and optionally a canary share to another. */
  readonly active = new Map<string, ActiveRoute>();
  private readonly dataDir: string;
  private readonly replicatedKv: boolean;
  private readonly snapshotDir: string;
  private readonly sweep: NodeJS.Timeout;
  /** Refuses apps that keep hitting their limits (limit-breaker.ts). */
  readonly breaker: LimitBreaker;
  private replicaTurn = 0;
  private tieTurn = 0;
  /** Instances whose state went to a new release, frozen until the switch (or the deploy's end). */
  private readonly awaitingSwitch = new Map<string, Array<{ rec: InstanceRecord; settled: InstanceRecord['status'] }>>();
  /**
   * Keys a release does not serve itself, by release: a failed state upgrade left them on the
   * release they came from. Keyed by the new release, so a rollback (routing to the old one) ignores them.
   */
  private readonly pinnedKeys = new Map<string, Map<string, string>>();
  /** Pool sizes set at run time (`flick scale`, synced from the store), by app; they override `instances.count`. */
  readonly replicaCounts = new Map<string, number>();
  /** In a cluster, the replicas of each app this node hosts (the placer's assignment); an app absent here hosts its whole pool, as on a single node. */
  readonly hostedReplicas = new Map<string, readonly number[]>();
  private canaryTurn = 0;
  readonly counters = { spawns: 0, hibernations: 0, wakes: 0, migrations: 0, restarts: 0 };
  /** Instances of apps granted messaging, as processes: links, monitors, exit signals (instance-processes.ts). */
  readonly processes = new InstanceProcesses({
    admits: (app, key) => this.admitsKey(app, key),
    deliver: (app, key, message) => this.deliverTo(app, key, message),
    killed: (app, key, reason) => this.killedBySignal(app, key, reason),
  });
  /** Each replicas app's pool under an OTP supervisor (replica-pools.ts). */
  readonly pools = new ReplicaPools({
    startReplica: (app, key) => this.startReplica(app, key),
    report: (app, r) => {
      if (r.kind !== 'child_terminated' && r.kind !== 'start_error' && r.kind !== 'reached_max_restart_intensity') return;
      const what =
        r.kind === 'child_terminated' ? `replica ${r.childId} ended (${formatExitReason(r.reason)})`
        : r.kind === 'start_error' ? `replica ${r.childId} failed to start: ${(r.error as Error)?.message ?? String(r.error)}`
        : `replica ${r.childId} ended too often: the pool's supervisor gives up`;
      this.emit('log', { t: 'log', release: this.active.get(app)?.release ?? `${app}@?`, instance: null, level: r.kind === 'child_terminated' ? 'warn' : 'error', message: what });
    },
  });

  constructor(opts: NodeOptions) {
    super();
    this.dataDir = opts.dataDir;
    this.replicatedKv = opts.replicatedKv ?? false;
    this.breaker = new LimitBreaker(opts.breaker ?? DEFAULT_BREAKER);
    this.snapshotDir = join(opts.dataDir, 'snapshots');
    mkdirSync(this.snapshotDir, { recursive: true });
    const n = opts.schedulers ?? availableParallelism();
    const stallMs = opts.stallMs ?? 10_000;
    this.schedulers = Array.from({ length: n }, (_, i) => {
      const s = new Scheduler(i, { stallMs });
      s.on('log', (l) => this.emit('log', l));
      s.on('replaced', () => this.recoverScheduler(i));
      return s;
    });
    this.sweep = setInterval(() => void this.hibernateIdle(), opts.hibernateSweepMs ?? 1000);
    this.sweep.unref();
  }

  /** Resolves once every scheduler thread is up and answering. */
  async ready(): Promise<void> {
    await Promise.all(this.schedulers.map((s) => s.ping()));
  }

  /**
   * Loads a release on every scheduler and resolves once one of them has it: loading is
   * deterministic (same code, same limits), so one thread's answer says whether the code loads, and
   * a thread held by a long call (until the watchdog replaces it) does not hold up the release on
   * the others. Messages to a thread are served in order, so no call reaches a thread before its
   * load. When no thread can load it, the call fails with the first thread's reason and the release
   * is unloaded everywhere, as if never added. Concurrent calls for one release share the load.
   */
  addRelease(image: Image, releaseId: string, manifest: Manifest = image.manifest): Promise<Release> {
    const existing = this.releases.get(releaseId);
    if (existing) return Promise.resolve(existing);
    let loading = this.loading.get(releaseId);
    if (!loading) {
      loading = this.loadRelease(image, releaseId, manifest).finally(() => this.loading.delete(releaseId));
      this.loading.set(releaseId, loading);
    }
    return loading;
  }

  private async loadRelease(image: Image, releaseId: string, manifest: Manifest): Promise<Release> {
    const code = releaseCode(image, manifest);
    const files = [...image.files.entries()];
    const load = { t: 'load', release: releaseId, manifest, code, files, kvPath: join(this.dataDir, 'kv'), kvReplicated: this.replicatedKv } as const;
    const loads = this.schedulers.map((s) =>
      s.load(load).then(
        (reply) => {
          if (reply.error) throw DispatchError.from(reply.error);
        },
        (lost: unknown) => {
          throw lostAsDispatch(lost);
        },
      ),
    );
    try {
      await Promise.any(loads);
    } catch (e) {
      for (const s of this.schedulers) s.unload(releaseId);
      throw (e as AggregateError).errors[0];
    }
    // Loaded: a thread that fails after another succeeded (a replaced thread reloads it by itself).
    loads.forEach((p, i) => p.catch((e: DispatchError) => {
      if (e.code !== 'scheduler_lost') this.emit('log', { t: 'log', release: releaseId, instance: null, level: 'error', message: `release ${releaseId} did not load on scheduler ${i}: ${e.message}` });
    }));
    const rel: Release = { id: releaseId, app: manifest.name, manifest, imageId: image.id, code };
    this.releases.set(releaseId, rel);
    return rel;
  }

  /** Routes an app (the switch of a deploy): one assignment, so every later request sees the new route. */
  activate(app: string, route: ActiveRoute): void {
    for (const id of [route.release, route.canary?.release]) {
      if (id !== undefined && !this.releases.has(id)) throw new Error(`release ${id} is not loaded on this node`);
    }
    this.active.set(app, route);
    for (const rec of this.table.all()) if (rec.release === route.release) rec.handedOver = null; // a rollback serves them again
    this.finishHandover(route.release, route.release);
    this.adoptHibernated(route.release);
    void this.supervisePool(app);
    this.emit('route', app);
  }

  /**
   * Starts or reshapes the app's supervised pool (a replicas app): this node's replicas, all of
   * the pool alone. A failure is logged, and the pool then refuses requests saying why.
   */
  private supervisePool(app: string): Promise<void> {
    const route = this.active.get(app);
    const mode = route && this.releases.get(route.release)?.manifest.instances;
    if (mode?.mode !== 'replicas') return Promise.resolve();
    const size = this.replicaCounts.get(app) ?? mode.count;
    const replicas = this.hostedReplicas.get(app)?.filter((i) => i < size) ?? Array.from({ length: size }, (_, i) => i);
    return this.pools.ensure(app, replicas, mode.supervision).catch((e: Error) => {
      this.emit('log', { t: 'log', release: route!.release, instance: null, level: 'error', message: `the replica pool of '${app}' could not be started: ${e.message}` });
    });
  }

  /** A pool supervisor's start function: replica `key` runs before the supervisor hears back. */
  private async startReplica(app: string, key: string): Promise<ChildHandle> {
    const home = this.homeOf(app, key);
    if (!home) throw new Error(`app '${app}' is not routed on this node`);
    const rec = this.instanceFor(app, home.id, key);
    if (rec.status === 'running') {
      const messaging = home.manifest.capabilities.messaging ? { self: key } : undefined;
      const reply = await this.runOn(rec, (s) => s.spawn(rec.release, rec.id, messaging));
      if (reply?.error) throw DispatchError.from(reply.error);
    }
    return this.processes.handle(app, key);
  }

  /**
   * Lifts the freeze on the instances whose state was handed over to `toRelease`. With `target`,
   * the switch happened: requests held on them go to `target`. Without, the deploy ended before
   * its switch: they carry on serving as before.
   */
  finishHandover(toRelease: string, target: string | null): void {
    const frozen = this.awaitingSwitch.get(toRelease);
    if (!frozen) return;
    this.awaitingSwitch.delete(toRelease);
    for (const { rec, settled } of frozen) {
      rec.handedOver = target;
      rec.status = settled;
      this.release(rec);
    }
  }

  /**
   * Sets an app's replica pool size (null: back to the manifest's count). Replicas beyond the new
   * size get no further requests; each is stopped once its calls in flight are answered, and its
   * process ends with `shutdown` (links and monitors see it). New replicas start on first use.
   */
  async resizePool(app: string, count: number | null): Promise<void> {
    if (count === null) this.replicaCounts.delete(app);
    else this.replicaCounts.set(app, count);
    const route = this.active.get(app);
    const mode = route && this.releases.get(route.release)?.manifest.instances;
    if (mode?.mode !== 'replicas') return;
    const size = count ?? mode.count;
    await this.supervisePool(app);
    // What the supervisor does not hold: replicas of other releases (kept warm for a rollback).
    const surplus = [...this.table.all()].filter((r) => r.app === app && Number(r.key.slice(1)) >= size);
    await Promise.all(surplus.map((rec) => this.stopInstance(rec)));
  }

  /**
   * In a cluster, which replicas of an app run on this node (null: all of them, as alone). Those
   * that no longer do are stopped like a pool's surplus; the cluster's request path sends the
   * app's requests to the nodes the placer chose.
   */
  async hostReplicas(app: string, indices: readonly number[] | null): Promise<void> {
    if (indices === null) this.hostedReplicas.delete(app);
    else this.hostedReplicas.set(app, indices);
    await this.supervisePool(app);
    if (indices === null) return;
    const gone = [...this.table.all()].filter((r) => r.app === app && !indices.includes(Number(r.key.slice(1))));
    await Promise.all(gone.map((rec) => this.stopInstance(rec)));
  }

  /** The replica a pool's next request goes to: round robin over the pool, or over this node's share of it in a cluster. */
  private nextReplica(app: string, count: number): string {
    const size = this.replicaCounts.get(app) ?? count;
    const hosted = this.hostedReplicas.get(app)?.filter((i) => i < size);
    if (!hosted) return `#${this.replicaTurn++ % size}`;
    if (hosted.length === 0) throw new DispatchError('replica_elsewhere', `no replica of '${app}' runs on this node`, 'send the request to a node that hosts one (any node in the cluster forwards it)', 503, 1);
    return `#${hosted[this.replicaTurn++ % hosted.length]}`;
  }

  /**
   * Stops one keyed instance for good. It is retired at once: its key's next use makes a new
   * instance (a supervisor may restart it right away), and requests still held on this one go
   * through routing again. It is freed once its calls in flight are answered.
   */
  private async stopInstance(rec: InstanceRecord): Promise<void> {
    if (rec.retired) return;
    rec.retired = true;
    this.table.retire(rec.id);
    this.release(rec);
    while (rec.status === 'moving') await new Promise((r) => setTimeout(r, 1));
    await this.quiesce(rec);
    if (rec.status === 'running') this.schedulers[rec.scheduler].drop(rec.id);
    else this.dropSnapshotFile(rec);
    this.table.remove(rec.id);
    this.emit('instance', 'stop', rec);
  }

  deactivate(app: string): void {
    this.active.delete(app);
    void this.pools.stop(app);
  }

  async dispatch(app: string, request: GuestRequest): Promise<GuestResponse> {
    const route = this.active.get(app);
    if (!route) throw new DispatchError('no_such_app', `no app named '${app}' is deployed`, 'deploy it with flick deploy DIR, or list apps with flick ps', 404);
    // Canary split by a rotating counter: exact shares, and no randomness to make tests flaky.
    const releaseId = route.canary && this.canaryTurn++ % 100 < route.canary.weight ? route.canary.release : route.release;
    const admission = this.breaker.admit(app);
    if (!admission.ok) {
      throw new DispatchError('limits_tripped', `app '${app}' hit its limits ${admission.hits} times in a row and is refused for ${Math.ceil(admission.retryAfterMs / 1000)} s`, `see why with flick logs ${app}; fix the app or raise its resources in flick.json`, 503, Math.ceil(admission.retryAfterMs / 1000));
    }
    const ev: RequestEvent = { request, app, release: releaseId, instance: null, scheduler: -1, status: 0, error: null, startedAt: performance.now(), durationMs: 0, schedulerUs: 0 };
    try {
      const response = await this.dispatchRelease(app, releaseId, request, ev);
      ev.status = response.status;
      this.breaker.record(app, admission.probe, false);
      return response;
    } catch (e) {
      ev.status = (e as DispatchError).httpStatus ?? 500;
      ev.error = (e as DispatchError).code ?? 'internal';
      this.breaker.record(app, admission.probe, LIMIT_CODES.has(ev.error));
      throw e;
    } finally {
      ev.durationMs = performance.now() - ev.startedAt;
      this.emit('request', ev);
    }
  }

  /** Serves a request from a fresh instance of a release, outside routing (health checks, shadow traffic). */
  async probe(releaseId: string, request: GuestRequest): Promise<GuestResponse> {
    if (!this.releases.has(releaseId)) throw new DispatchError('no_such_release', `release ${releaseId} is not loaded`, 'start the release first', 404);
    const reply = await callScheduler(this.leastLoaded(), releaseId, null, request);
    if (reply.error) throw DispatchError.from(reply.error);
    return reply.response!;
  }

  private async dispatchRelease(app: string, releaseId: string, request: GuestRequest, ev: RequestEvent): Promise<GuestResponse> {
    const rel = this.releases.get(releaseId)!;
    const mode = rel.manifest.instances;
    if (mode.mode === 'per-request') {
      const scheduler = this.leastLoaded();
      ev.scheduler = scheduler.index;
      const reply = await callScheduler(scheduler, releaseId, null, request, undefined, rel.manifest.capabilities.messaging ? { self: null } : undefined);
      ev.schedulerUs = reply.busyUs;
      if (reply.effects?.length) this.processes.apply(app, null, reply.effects);
      if (reply.error) throw DispatchError.from(reply.error);
      this.counters.spawns++;
      return reply.response!;
    }
    if (mode.mode === 'replicas') {
      const failure = this.pools.failure(app);
      if (failure) throw new DispatchError('pool_failed', `${failure}: its supervisor gave up and the pool is stopped`, `see why with flick logs ${app}; deploy a fix, or run flick scale ${app} N to start the pool again`, 503, 5);
    }
    const key = mode.mode === 'per-key' ? instanceKey(mode.key, request) : this.nextReplica(app, mode.count);
    const home = this.pinnedKeys.get(releaseId)?.get(key) ?? releaseId;
    ev.release = home;
    const rec = this.instanceFor(app, home, key);
    ev.instance = rec.id;
    return this.callInstance(rec, request, ev);
  }

  /** The instance of (release, key), created on the spot when it has none (instant bursting). */
  private instanceFor(app: string, release: string, key: string): InstanceRecord {
    let rec = this.table.find(release, key);
    if (!rec) {
      const max = this.keyLimit(release);
      if (this.table.countOf(app) >= max) {
        throw new DispatchError('instance_limit', `app '${app}' already has ${this.table.countOf(app)} instances on this node, its limit`, `raise instances.max in flick.json (now ${max}), or let idle keys go`, 503, 1);
      }
      rec = this.table.create(app, release, key, this.leastLoaded().index, performance.now());
      this.counters.spawns++;
      this.emit('instance', 'spawn', rec);
    }
    const manifest = this.releases.get(release)?.manifest;
    if (manifest?.capabilities.messaging || manifest?.instances.mode === 'replicas') this.processes.ensure(app, key);
    return rec;
  }

  /**
   * Moves the per-key and replica instances that serve `fromRelease` to `toRelease` (before the
   * switch of a deploy): each one's state is saved by the old code and taken over by the new
   * code's `flick_upgrade` hook (docs/abi.md, "State upgrade"), on the same scheduler. The old
   * instances stay as they are, for a rollback. A key whose upgrade fails stays on the old release.
   */
  async upgradeInstances(fromRelease: string, toRelease: string): Promise<UpgradeReport> {
    const to = this.releases.get(toRelease);
    if (!to) throw new Error(`release ${toRelease} is not loaded on this node`);
    const report: UpgradeReport = { skipped: null, how: to.code.runtime === 'js' ? 'with env.state' : 'by flick_upgrade', moved: 0, failed: [] };
    if (to.manifest.instances.mode === 'per-request') return { ...report, skipped: 'per-request instances keep no state' };
    if (!takesState(to.code)) {
      return { ...report, skipped: `release ${toRelease} exports no flick_upgrade: its instances start fresh` };
    }
    const pinnedBefore = this.pinnedKeys.get(fromRelease);
    const serving = [...this.table.all()].filter((r) => r.release === fromRelease || pinnedBefore?.get(r.key) === r.release);
    if (serving.length === 0) return { ...report, skipped: `release ${fromRelease} has no per-key or replica instances on this node` };
    const pinned = new Map<string, string>();
    for (const rec of serving) {
      if (this.table.find(toRelease, rec.key)) continue;
      try {
        await this.upgradeInstance(rec, toRelease);
        report.moved++;
      } catch (e) {
        pinned.set(rec.key, rec.release);
        report.failed.push({ key: rec.key, reason: (e as Error).message });
      }
    }
    if (pinned.size) this.pinnedKeys.set(toRelease, pinned);
    return report;
  }

  /** One instance's move: requests to it are held while its state is saved and taken over. */
  private async upgradeInstance(rec: InstanceRecord, toRelease: string): Promise<void> {
    while (rec.status === 'moving') await new Promise((r) => setTimeout(r, 1));
    const settled = rec.status;
    rec.status = 'moving';
    try {
      await this.quiesce(rec);
      const scheduler = this.schedulers[rec.scheduler];
      const saved = await scheduler.saveState(rec.release, rec.id, settled === 'hibernated' ? rec.snapshot! : undefined);
      if (saved.error) {
        if (saved.error.fatal && settled === 'running') this.crashed(rec);
        throw DispatchError.from(saved.error);
      }
      const next = this.table.create(rec.app, toRelease, rec.key, rec.scheduler, performance.now());
      next.status = 'moving';
      const fromVersion = this.releases.get(rec.release)!.manifest.version;
      const upgraded = await scheduler.upgrade(toRelease, next.id, saved.state ?? null, fromVersion);
      if (upgraded.error) {
        this.table.remove(next.id);
        throw DispatchError.from(upgraded.error);
      }
      next.status = 'running';
      next.memoryBytes = upgraded.counters?.memoryBytes ?? 0;
      this.counters.spawns++;
      this.emit('instance', 'spawn', next);
      // Its state now lives in `next`: anything the old copy served from here on would be lost at
      // the switch. So it stays frozen (requests held) until the switch sends them to `next`.
      const frozen = this.awaitingSwitch.get(toRelease) ?? [];
      frozen.push({ rec, settled });
      this.awaitingSwitch.set(toRelease, frozen);
    } catch (e) {
      if (rec.status === 'moving') rec.status = settled;
      this.release(rec);
      throw e;
    }
  }

  /**
   * Moves a live instance to another scheduler. Requests arriving meanwhile are held until its
   * snapshot is taken, then sent to the new thread right behind the restore, which serves them as
   * soon as the instance runs there (waiting for the restore's reply first would add two hops
   * between threads to every held request). The pause is timed to that moment, on the new thread.
   */
  async migrate(instanceId: string, toScheduler: number): Promise<MigrationTiming> {
    const rec = this.table.get(instanceId);
    if (!rec) throw new DispatchError('no_such_instance', `no instance ${instanceId}`, 'list instances with flick ps', 404);
    if (!this.schedulers[toScheduler]) throw new DispatchError('no_such_scheduler', `no scheduler ${toScheduler} (this node has ${this.schedulers.length})`, `choose 0..${this.schedulers.length - 1}`, 400);
    if (rec.status !== 'running') throw new DispatchError('busy', `instance ${instanceId} is ${rec.status}`, 'try again when it is running', 409);
    if (rec.scheduler === toScheduler) return { pauseMs: 0, phases: { snapshotMs: 0, restoreMs: 0 } };
    const t0 = monotonicUs();
    const from = rec.scheduler;
    rec.status = 'moving';
    let snapshot: InstanceSnapshot;
    let snapped: Reply;
    try {
      // No waiting for the calls in flight: the thread serves its messages in order, so the
      // snapshot is taken after them, and their replies reach the node before its own.
      snapped = await this.schedulers[from].snapshot(rec.id, true, true);
      if (snapped.error) throw DispatchError.from(snapped.error);
      snapshot = snapped.snapshot!;
    } catch (e) {
      // A call in flight may have crashed the instance meanwhile, or the thread was lost: it comes back as crashed() / recoverScheduler left it.
      if (rec.status === 'moving') rec.status = 'running';
      this.release(rec);
      throw e;
    }
    const t1 = monotonicUs();
    // The instance belongs to the new thread from here. Its snapshot (shared memory, still readable
    // here) is its way back should that thread be lost before it runs there.
    rec.scheduler = toScheduler;
    rec.snapshot = snapshot;
    const restoring = this.schedulers[toScheduler].restore(rec.release, rec.id, snapshot);
    if (rec.status === 'moving') rec.status = 'running';
    this.release(rec);
    let restored: Reply;
    try {
      restored = await restoring;
    } catch (e) {
      // The thread was lost: recoverScheduler has brought the instance back to the move's snapshot.
      throw lostAsDispatch(e);
    }
    if (restored.error) {
      await this.returnAfterFailedArrival(rec, from, toScheduler);
      throw DispatchError.from(restored.error);
    }
    this.counters.migrations++;
    this.emit('instance', 'migrate', rec);
    const done = restored.doneAtUs ?? monotonicUs();
    return { pauseMs: (done - t0) / 1000, phases: { snapshotMs: (t1 - t0) / 1000, restoreMs: (done - t1) / 1000, snapshot: threadTiming(t0, snapped), restore: threadTiming(t1, restored) } };
  }

  /**
   * A move's restore failed: the new thread refuses the instance's calls until dropped there. It
   * goes back to the thread it came from, hibernated on the move's snapshot, so its next request
   * wakes it there; what was sent meanwhile was refused, never served by a fresh instance.
   */
  private async returnAfterFailedArrival(rec: InstanceRecord, from: number, to: number): Promise<void> {
    // An operation begun meanwhile (a checkpoint, another move) ends first: it met the refusal.
    while (rec.status === 'moving') await new Promise<void>((resolve) => rec.held.push(resolve));
    if (rec.scheduler !== to || rec.status !== 'running') return; // lost with the thread, or ended: already dealt with
    rec.scheduler = from;
    rec.status = 'hibernated';
    rec.memoryBytes = 0;
    this.schedulers[to].drop(rec.id);
  }

  /** Snapshots and frees one instance now (what the idle sweep does after `hibernate.idleMs`). */
  async hibernate(rec: InstanceRecord): Promise<void> {
    if (rec.status !== 'running' || rec.inflight > 0) return;
    rec.status = 'moving';
    try {
      const reply = await this.schedulers[rec.scheduler].snapshot(rec.id, true);
      if (reply.error) throw DispatchError.from(reply.error);
      rec.snapshot = reply.snapshot!;
      this.persistSnapshot(rec);
      rec.status = 'hibernated';
      this.counters.hibernations++;
      this.emit('instance', 'hibernate', rec);
    } catch {
      rec.status = 'running';
    } finally {
      this.release(rec);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    await Promise.all(this.schedulers.map((s) => s.close()));
  }

  private async callInstance(rec: InstanceRecord, request: GuestRequest, ev: RequestEvent): Promise<GuestResponse> {
    const messaging = this.releases.get(rec.release)?.manifest.capabilities.messaging ? { self: rec.key } : undefined;
    const reply = await this.runOn(rec, (s, restore) => {
      ev.scheduler = s.index;
      return callScheduler(s, rec.release, rec.id, request, restore, messaging);
    });
    if (reply === null) {
      ev.release = rec.handedOver ?? rec.release;
      return this.dispatchRelease(rec.app, ev.release, request, ev);
    }
    ev.schedulerUs = reply.busyUs;
    if (reply.error) throw DispatchError.from(reply.error);
    if (reply.counters) rec.requests++;
    return reply.response!;
  }

  /**
   * One operation on a keyed instance: held while the instance moves, woken when it hibernates,
   * counted in flight. Afterwards what it asked of other instances is carried out, and a fatal
   * error ends it (its links and monitors fire). Null when its key was handed over to another
   * release, or the instance stopped, meanwhile: the caller goes through routing again.
   */
  private async runOn(rec: InstanceRecord, op: (s: Scheduler, restore?: InstanceSnapshot) => Promise<Reply>): Promise<Reply | null> {
    if (rec.status === 'moving') await new Promise<void>((resolve) => rec.held.push(resolve));
    if (rec.handedOver || rec.retired) return null;
    if (rec.movedTo !== undefined) throw new KeyMovedAway(rec.app, rec.key, rec.movedTo);
    let restore: InstanceSnapshot | undefined;
    if (rec.status === 'hibernated') {
      restore = rec.snapshot!;
      rec.status = 'running';
      this.counters.wakes++;
      this.dropSnapshotFile(rec);
      this.emit('instance', 'wake', rec);
    }
    rec.inflight++;
    let reply: Reply;
    try {
      reply = await op(this.schedulers[rec.scheduler], restore);
    } finally {
      rec.inflight--;
    }
    rec.lastActive = performance.now();
    if (reply.counters) {
      rec.cpuUsed = reply.counters.cpuUsed;
      rec.memoryBytes = reply.counters.memoryBytes;
    }
    if (rec.inflight === 0) this.release(rec);
    if (reply.effects?.length) this.processes.apply(rec.app, rec.key, reply.effects);
    if (reply.error) {
      rec.errors++;
      if (reply.error.fatal) {
        this.crashed(rec);
        this.processes.crashed(rec.app, rec.key, { error: reply.error.code });
      }
    }
    return reply;
  }

  /** How many instances an app's release may have on this node (per-key `instances.max`). */
  private keyLimit(release: string): number {
    const mode = this.releases.get(release)?.manifest.instances;
    return mode?.mode === 'per-key' ? mode.max : Infinity;
  }

  /** The release that serves `key` of a routed app now (a key pinned by a refused upgrade stays where it was). */
  private homeOf(app: string, key: string): Release | undefined {
    const route = this.active.get(app);
    if (!route) return undefined;
    return this.releases.get(this.pinnedKeys.get(route.release)?.get(key) ?? route.release);
  }

  /** Whether `key` names an instance the app may have: a routed keyed app, a replica in range, room under its limit. */
  private admitsKey(app: string, key: string): boolean {
    const rel = this.homeOf(app, key);
    const mode = rel?.manifest.instances;
    if (!rel || !mode || mode.mode === 'per-request') return false;
    if (mode.mode === 'replicas') {
      const n = /^#(\d+)$/.exec(key);
      // A replica the placer put on another node is not started here (messages do not cross nodes yet).
      return n !== null && Number(n[1]) < (this.replicaCounts.get(app) ?? mode.count) && (this.hostedReplicas.get(app)?.includes(Number(n[1])) ?? true);
    }
    return this.table.find(rel.id, key) !== undefined || this.table.countOf(app) < this.keyLimit(rel.id);
  }

  /**
   * Hands a mailbox entry to the instance that serves `key` now (the route's release), started or
   * woken as for a request. An entry for an app no longer routed, a per-request app or a replica
   * the pool does not have is dropped, as a message to a dead process is.
   */
  /**
   * In a cluster: takes a mailbox entry for a key another node holds or owns (the cluster sends it
   * there, src/cluster/remote-mailbox.ts) and returns true; false leaves it to this node.
   */
  remoteDelivery: ((app: string, key: string, message: MailboxMessage) => boolean) | null = null;

  /** A mailbox entry another node sent here for a key this node holds or owns. */
  deliverHere(app: string, key: string, message: MailboxMessage): Promise<void> {
    return this.deliverTo(app, key, message, 0, true);
  }

  private async deliverTo(app: string, key: string, message: MailboxMessage, hops = 0, here = false): Promise<void> {
    const home = this.homeOf(app, key);
    if (!home || hops > 2) return;
    if (!here && this.remoteDelivery?.(app, key, message)) return;
    if (!this.admitsKey(app, key)) {
      this.processes.counters.dropped++;
      this.emit('log', { t: 'log', release: home.id, instance: null, level: 'warn', message: `a ${message.kind} for key ${JSON.stringify(key)} was dropped: the app may not have that instance (its mode, pool size or instances.max)` });
      return;
    }
    const rec = this.instanceFor(app, home.id, key);
    let reply: Reply | null;
    try {
      reply = await this.runOn(rec, (s, restore) => s.deliver(rec.release, rec.id, key, message, restore));
    } catch (e) {
      // The key moved to another node while the entry waited: it follows the key.
      if (e instanceof KeyMovedAway) return this.deliverTo(app, key, message, hops + 1);
      return; // the scheduler was lost with the instance: the entry is lost with it, like the process
    }
    if (reply === null) return this.deliverTo(app, key, message, hops + 1, here);
    if (reply.error) this.emit('log', { t: 'log', release: rec.release, instance: rec.id, level: 'warn', message: `flick_message failed (${message.kind} from ${message.from ?? 'a request'}): ${reply.error.message}` });
  }

  /** A link or an exit signal ended the process of (app, key): its live instance goes, as if it had crashed. */
  private killedBySignal(app: string, key: string, reason: ExitReason): void {
    const home = this.homeOf(app, key);
    const rec = home && this.table.find(home.id, key);
    if (!rec) return;
    // A clean end (a supervisor's or a pool's shutdown) stops the instance for good; any other is a crash.
    if (isCleanExit(reason)) return void this.stopInstance(rec);
    if (rec.status !== 'running') return;
    this.schedulers[rec.scheduler].drop(rec.id);
    this.crashed(rec);
    this.emit('log', { t: 'log', release: rec.release, instance: rec.id, level: 'warn', message: `instance ended by an exit signal: ${formatExitReason(reason)} (a linked instance ended, or one called msg_exit)` });
  }

  /** A fatal error ended the instance: the next request starts it again, from its last snapshot if it has one (permanent restart). */
  private crashed(rec: InstanceRecord): void {
    rec.restarts++;
    this.counters.restarts++;
    rec.memoryBytes = 0; // the instance is gone until it starts again
    rec.status = rec.snapshot ? 'hibernated' : 'running';
    this.emit('instance', 'crash', rec);
  }

  /** A scheduler thread was replaced: its instances come back from their last snapshots on next use. */
  private recoverScheduler(index: number): void {
    for (const rec of this.table.all()) {
      if (rec.scheduler !== index || rec.status === 'hibernated') continue;
      rec.restarts++;
      this.counters.restarts++;
      rec.inflight = 0;
      rec.status = rec.snapshot ? 'hibernated' : 'running';
      this.emit('instance', 'lost', rec);
      this.release(rec);
    }
  }

  private async hibernateIdle(): Promise<void> {
    const now = performance.now();
    const due: InstanceRecord[] = [];
    for (const rec of this.table.all()) {
      const idleMs = this.releases.get(rec.release)?.manifest.hibernate.idleMs ?? 0;
      if (idleMs > 0 && rec.status === 'running' && rec.inflight === 0 && now - rec.lastActive >= idleMs) due.push(rec);
    }
    for (const rec of due) await this.hibernate(rec);
  }

  /** Waits until no call is running in the instance (new ones are held by the caller's status). */
  private async quiesce(rec: InstanceRecord): Promise<void> {
    while (rec.inflight > 0) await new Promise((r) => setImmediate(r));
  }

  private release(rec: InstanceRecord): void {
    if (rec.status === 'moving') return;
    const held = rec.held;
    rec.held = [];
    for (const go of held) go();
  }

  /**
   * The scheduler with the fewest calls outstanding; ties go round, so that instances created one
   * after another on an idle node (a replica pool's eager start) spread over the threads.
   */
  private leastLoaded(): Scheduler {
    const n = this.schedulers.length;
    const first = this.tieTurn++ % n;
    let best = this.schedulers[first];
    for (let i = 1; i < n; i++) {
      const s = this.schedulers[(first + i) % n];
      if (s.outstanding < best.outstanding) best = s;
    }
    return best;
  }

  // Hibernated instances live on disk so that they survive a restart of the node.
  snapshotFile(rec: InstanceRecord): string {
    return join(this.snapshotDir, `${encodeURIComponent(rec.id)}.snap`);
  }

  private persistSnapshot(rec: InstanceRecord): void {
    const file = this.snapshotFile(rec);
    const { held: _held, inflight: _inflight, ...meta } = rec;
    writeFileSync(`${file}.tmp`, serialize({ ...meta, status: 'hibernated' }));
    renameSync(`${file}.tmp`, file);
  }

  private dropSnapshotFile(rec: InstanceRecord): void {
    rmSync(this.snapshotFile(rec), { force: true });
  }

  /** Brings back the hibernated instances of a release found on disk. */
  private adoptHibernated(releaseId: string): void {
    for (const f of readdirSync(this.snapshotDir)) {
      if (!f.endsWith('.snap')) continue;
      let rec: InstanceRecord;
      try {
        rec = deserialize(readFileSync(join(this.snapshotDir, f))) as InstanceRecord;
      } catch {
        continue;
      }
      if (rec.release !== releaseId || this.table.get(rec.id)) continue;
      this.table.adopt({ ...rec, scheduler: this.leastLoaded().index, inflight: 0, held: [], lastActive: performance.now(), startedAt: performance.now(), unconfirmed: true });
    }
  }
}

/**
 * Deploys as copy → update → switch. Each phase is recorded (with its timing) in the deployment
 * history as it happens. Every failure before the switch ends the deploy with the old release
 * still serving, untouched; the switch itself is one compare-and-swap of the app's route; rollback
 * is the same switch backwards, to a release that was kept warm.
 */
import { decodeImage, type Image } from '../../image/format.js';
import type { NodeLimits } from '../../image/limits.js';
import type { GuestRequest, GuestResponse } from '../../runtime/request.js';
import type { UpgradeReport } from '../../node/node.js';
import type { BlobStore } from '../blob-store.js';
import type { DeploymentRecord, PhaseName, PhaseRecord, Registry, ReleaseRecord, RouteRecord } from '../registry.js';

/** What a shadow run found: how many mirrored requests answered differently. */
export interface ShadowReport {
  samples: number;
  mismatches: number;
  /** A few mismatches, for the person reading the report. */
  examples: Array<{ url: string; old: number; new: number }>;
}

/** Where releases run. The single node implements it directly; a cluster fans out to its nodes. */
export interface DeployTarget {
  /** Make the image available where the release will run. */
  copy(image: Image, bytes: Uint8Array): Promise<void>;
  /** Load the release and start it beside the old one. */
  start(release: ReleaseRecord): Promise<void>;
  /** Send one request to a fresh instance of a release, outside routing (health checks). */
  probe(release: ReleaseRecord, request: GuestRequest): Promise<GuestResponse>;
  /** Mirror a share of live idempotent requests to `candidate`, compare with what was served. */
  shadow(app: string, candidate: ReleaseRecord, opts: { pct: number; durationMs: number; unsafeMethods: boolean }): Promise<ShadowReport>;
  /**
   * Move the app's per-key and replica instances from release `from` to `to` by their state-upgrade
   * hook, before the switch; keys whose upgrade fails keep being served by `from`.
   */
  upgrade(app: string, from: number, to: number): Promise<UpgradeReport>;
  /** The deploy ended without its switch: instances frozen by `upgrade` serve on as before. */
  abandonUpgrade(app: string, to: number): void;
  /** Resolves once every node routes the app as `route` says. */
  awaitRoute(route: RouteRecord): Promise<void>;
}

export interface DeployRequest {
  /** The image file's bytes. */
  image: Uint8Array;
  /** Serve under this name instead of the manifest's. */
  app?: string;
  /** Mirror this share (0–100) of live traffic to the new release before switching. */
  shadowPct?: number;
  /** Mismatch rate (0–1) above which a shadow run aborts the deploy. */
  shadowThreshold?: number;
  shadowMs?: number;
  /** Send only this share (0–100) of traffic to the new release (canary) instead of all of it. */
  canaryPct?: number;
}

export type ProgressListener = (deployment: DeploymentRecord) => void;

export class DeployError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly deployment: DeploymentRecord | null,
    readonly httpStatus = 409,
  ) {
    super(message);
    this.name = 'DeployError';
  }
}

export class DeployEngine {
  constructor(
    private readonly registry: Registry,
    private readonly blobs: BlobStore,
    private readonly target: DeployTarget,
    private readonly limits: NodeLimits,
  ) {}

  async deploy(req: DeployRequest, onProgress: ProgressListener = () => {}): Promise<DeploymentRecord> {
    const image = decodeImage(req.image, this.limits);
    const app = req.app ?? image.manifest.name;
    const manifest = { ...image.manifest, name: app };
    const current = await this.registry.route(app);
    const shadowPct = req.shadowPct ?? 0;
    const canaryPct = req.canaryPct ?? 0;
    const run = new DeploymentRun(
      await this.registry.addDeployment({
        app, kind: 'deploy', from: current?.record.release ?? null, to: 0, status: 'running', phases: [running('copy')],
        options: { shadowPct, canaryPct }, startedAt: new Date().toISOString(),
      }),
      this.registry,
      onProgress,
    );
    try {
      await run.phase('copy', async () => {
        const known = this.blobs.has(image.id);
        this.blobs.put(req.image, image.id);
        await this.target.copy(image, req.image);
        return known ? `${image.id} already stored` : `${image.id} stored (${req.image.byteLength} bytes)`;
      });
      // The release is claimed by the same commit that records the start phase as running.
      let release!: ReleaseRecord;
      await run.phase('start', async () => {
        await this.target.start(release);
        return `release ${release.seq} (${manifest.version}) loaded beside ${current ? `release ${current.record.release}` : 'nothing'}`;
      }, async (record) => {
        release = await this.registry.addRelease(app, image.id, manifest, record);
        run.record.to = release.seq;
      });
      const check = manifest.health;
      await run.phase('health', !check ? 'no health check declared in the manifest' : async () => {
        const res = await withTimeout(this.target.probe(release, { method: 'GET', url: check.path, headers: [['host', `${app}.localhost`]], body: new Uint8Array(0) }), check.timeoutMs, `health check ${check.path}`);
        if (res.status !== check.expectStatus) throw new Error(`health check ${check.path} answered ${res.status}, expected ${check.expectStatus}`);
        return `${check.path} answered ${res.status}`;
      });
      await run.phase('shadow', shadowPct <= 0 ? 'no --shadow share asked for' : !current ? 'nothing serves the app yet: no traffic to mirror' : async () => {
        const report = await this.target.shadow(app, release, { pct: shadowPct, durationMs: req.shadowMs ?? 3000, unsafeMethods: false });
        const rate = report.samples ? report.mismatches / report.samples : 0;
        const threshold = req.shadowThreshold ?? 0.01;
        const summary = `${report.mismatches}/${report.samples} mirrored requests differed (${(rate * 100).toFixed(1)}%, threshold ${(threshold * 100).toFixed(1)}%)`;
        if (rate > threshold) throw new Error(`shadow traffic disagreed: ${summary}; e.g. ${JSON.stringify(report.examples.slice(0, 3))}`);
        return summary;
      });
      await run.phase('upgrade', !current ? 'nothing serves the app yet: no instances to move' : canaryPct > 0 ? 'a canary shares traffic: instances stay where they are' : async () => {
        const report = await this.target.upgrade(app, current.record.release, release.seq);
        if (report.skipped !== null) return run.skip(report.skipped);
        return describeUpgrade(report, current.record.release, release.seq);
      });
      await run.phase('switch', async () => {
        const route: RouteRecord = canaryPct > 0 && current
          ? { ...current.record, canary: { release: release.seq, weight: canaryPct }, deployment: run.record.id, switchedAt: new Date().toISOString() }
          : { app, release: release.seq, previous: current?.record.release ?? null, canary: null, deployment: run.record.id, switchedAt: new Date().toISOString() };
        run.markOk('switch');
        run.record.status = 'running';
        const t0 = performance.now();
        const revision = await this.registry.switchRoute(route, current?.revision ?? 0, run.record);
        if (revision === null) throw new Error('the route changed while this deploy ran (another deploy or rollback won)');
        await this.target.awaitRoute(route);
        return canaryPct > 0 && current ? `${canaryPct}% of requests to release ${release.seq} (canary)` : `route → release ${release.seq} in ${(performance.now() - t0).toFixed(2)} ms`;
      });
      // Nothing to do here, only to record: like a skip, it needs no durable write of its own.
      run.instant('keep-warm', current ? 'ok' : 'skipped', current ? `release ${current.record.release} stays loaded for an instant rollback` : 'no previous release');
      return await run.finish();
    } catch (e) {
      if (run.record.to > 0) this.target.abandonUpgrade(app, run.record.to);
      const failed = await run.fail(e as Error);
      throw new DeployError(`deploy of ${app} failed: ${failed.reason}`, current ? `release ${current.record.release} is still serving, unchanged` : 'nothing was switched', failed);
    }
  }

  /** Switches the app back to the release it served before, in one step. */
  async rollback(app: string, onProgress: ProgressListener = () => {}): Promise<DeploymentRecord> {
    const current = await this.registry.route(app);
    if (!current) throw new DeployError(`no app named '${app}' is deployed`, 'list apps with flick ps', null, 404);
    const back = current.record.canary ? current.record.release : current.record.previous;
    if (back === null) throw new DeployError(`${app} has no previous release to roll back to`, 'deploy another version first', null, 409);
    const release = await this.registry.release(app, back);
    if (!release) throw new DeployError(`release ${back} of ${app} is missing from the store`, 'deploy the version you want again', null, 409);
    const run = new DeploymentRun(
      await this.registry.addDeployment({
        app, kind: 'rollback', from: current.record.release, to: back, status: 'running', phases: [running('start')],
        options: { shadowPct: 0, canaryPct: 0 }, startedAt: new Date().toISOString(),
      }),
      this.registry,
      onProgress,
    );
    try {
      await run.phase('start', async () => {
        await this.target.start(release);
        return `release ${back} is loaded`;
      });
      await run.phase('switch', async () => {
        const route: RouteRecord = { app, release: back, previous: current.record.canary ? current.record.previous : current.record.release, canary: null, deployment: run.record.id, switchedAt: new Date().toISOString() };
        run.markOk('switch');
        const revision = await this.registry.switchRoute(route, current.revision, run.record);
        if (revision === null) throw new Error('the route changed while the rollback ran');
        await this.target.awaitRoute(route);
        return `route → release ${back}`;
      });
      return await run.finish();
    } catch (e) {
      const failed = await run.fail(e as Error);
      throw new DeployError(`rollback of ${app} failed: ${failed.reason}`, 'the route is unchanged', failed);
    }
  }
}

/**
 * One deployment's record, kept current in the store as phases run.
 *
 * Every durable write is one flushed store commit (~1–2.5 ms on this machine), so the record is
 * written when it matters and not more often: before a phase that does work starts (so a crash or
 * a watcher sees it running; for the first phase, the write that creates the record; for the
 * start phase, the write that claims the release), in the switch's own transaction, and at the
 * end. A phase's result rides on the next of those writes, which comes before anything else
 * happens; phases that do no work (a skip decided before it would start, keep-warm's note) are
 * recorded the same way. The store never shows a phase as done before it is, and no phase that
 * acts starts before everything before it is durable. A fresh app's deploy makes 4 store commits
 * this way instead of 17. The end is written before the answer: once a deploy has answered, the
 * store holds all it will write (the switch's measured time included).
 */
class DeploymentRun {
  private skipped: string | null = null;
  /** The first phase, recorded as running by the write that created the record: it starts without another. */
  private recordedFirst: PhaseRecord | null;
  constructor(
    readonly record: DeploymentRecord,
    private readonly registry: Registry,
    private readonly onProgress: ProgressListener,
  ) {
    this.recordedFirst = record.phases.find((p) => p.status === 'running') ?? null;
    onProgress(structuredClone(record));
  }

  /** Marks the running phase skipped; the phase returns this as its detail. */
  skip(why: string): string {
    this.skipped = why;
    return why;
  }

  /**
   * The switch's record is written inside the switch transaction itself, so it must already say
   * "ok": a crash right after the commit then leaves a history that matches the route.
   */
  markOk(name: PhaseName): void {
    const p = this.record.phases.find((x) => x.name === name);
    if (p) p.status = 'ok';
  }

  /** Records a phase that does no work (its outcome is known without running anything); the next write stores it. */
  instant(name: PhaseName, status: 'ok' | 'skipped', detail: string): void {
    this.record.phases.push({ name, status, startedAt: new Date().toISOString(), ms: 0, detail });
  }

  /**
   * Runs one phase: recorded as running before its body starts (by `record` when given, a write
   * that does more in the same commit), with its outcome stored by the next write (the next phase's
   * start, the switch transaction, finish or fail). A string instead of a body is why the phase is skipped:
   * recorded without running and without a write of its own. The switch is not recorded before:
   * its transaction writes the record itself, and one durable write less is one less on the path
   * between deciding to switch and serving the new release.
   */
  async phase(name: PhaseName, body: (() => Promise<string>) | string, record?: (r: DeploymentRecord) => Promise<void>): Promise<void> {
    if (typeof body === 'string') return this.instant(name, 'skipped', body);
    let p = this.recordedFirst;
    this.recordedFirst = null;
    if (p && p.name !== name) throw new Error(`deployment ${this.record.id} was created with phase ${p.name} running, not ${name}`);
    if (!p) {
      p = running(name);
      this.record.phases.push(p);
      if (record) await this.saveWith(record);
      else if (name !== 'switch') await this.save();
    }
    const t0 = performance.now();
    this.skipped = null;
    try {
      p.detail = await body();
      p.status = this.skipped !== null ? 'skipped' : 'ok';
    } catch (e) {
      p.status = 'failed';
      p.detail = (e as Error).message;
      throw e;
    } finally {
      p.ms = Math.round((performance.now() - t0) * 1000) / 1000;
    }
  }

  async finish(): Promise<DeploymentRecord> {
    this.record.phases.push({ name: 'done', status: 'ok', startedAt: new Date().toISOString(), ms: 0 });
    this.record.status = 'succeeded';
    this.record.finishedAt = new Date().toISOString();
    await this.save();
    return this.record;
  }

  async fail(e: Error): Promise<DeploymentRecord> {
    this.record.status = 'failed';
    this.record.reason = e.message;
    this.record.finishedAt = new Date().toISOString();
    await this.save();
    return this.record;
  }

  private save(): Promise<void> {
    return this.saveWith((r) => this.registry.saveDeployment(r));
  }

  private async saveWith(write: (r: DeploymentRecord) => Promise<void>): Promise<void> {
    await write(this.record);
    this.onProgress(structuredClone(this.record));
  }
}

function running(name: PhaseName): PhaseRecord {
  return { name, status: 'running', startedAt: new Date().toISOString(), ms: 0 };
}

/** The upgrade phase's detail: how many moved, and every key that did not with its reason. */
function describeUpgrade(report: UpgradeReport, from: number, to: number): string {
  const moved = `${report.moved} instance${report.moved === 1 ? '' : 's'} moved to release ${to} ${report.how}`;
  if (report.failed.length === 0) return moved;
  const failed = report.failed.map((f) => `${JSON.stringify(f.key)}: ${f.reason}`).join('; ');
  return `${moved}; ${report.failed.length} stayed on release ${from} — ${failed}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

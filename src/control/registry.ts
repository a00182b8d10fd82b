/**
 * Apps, releases, routes and deployment history as records in the Store:
 *
 *   /flick/apps/<app>/release/<seq>   ReleaseRecord   (numbered, kept)
 *   /flick/apps/<app>/route           RouteRecord     (what serves the app; changed only by CAS)
 *   /flick/apps/<app>/deploy/<seq>    DeploymentRecord (one copy → update → switch run)
 *   /flick/apps/<app>/scale           ScaleRecord     (run-time replica count, set by `flick scale`)
 *
 * The route key is the single point of truth for "which release serves": a deploy's switch and a
 * rollback are each one compare-and-swap of it, so a switch either happened or did not.
 */
import type { Manifest } from '../image/manifest.js';
import type { KeyValue, Store, TxnWrite } from './store/store.js';

export const ROOT = '/flick/apps/';

export interface ReleaseRecord {
  app: string;
  seq: number;
  image: string;
  version: string;
  manifest: Manifest;
  createdAt: string;
}

export interface RouteRecord {
  app: string;
  release: number;
  /** The release served before the last switch: what rollback returns to. */
  previous: number | null;
  /** A share of requests sent to another release (canary deploys). */
  canary: { release: number; weight: number } | null;
  /** The deployment that made this switch. */
  deployment: string | null;
  switchedAt: string;
}

export type PhaseName = 'copy' | 'start' | 'health' | 'shadow' | 'upgrade' | 'switch' | 'keep-warm' | 'done';

export interface PhaseRecord {
  name: PhaseName;
  status: 'running' | 'ok' | 'failed' | 'skipped';
  startedAt: string;
  ms: number;
  detail?: string;
}

export interface DeploymentRecord {
  id: string;
  app: string;
  seq: number;
  kind: 'deploy' | 'rollback';
  from: number | null;
  to: number;
  status: 'running' | 'succeeded' | 'failed';
  reason?: string;
  phases: PhaseRecord[];
  options: { shadowPct: number; canaryPct: number };
  startedAt: string;
  finishedAt?: string;
  /**
   * In a cluster, the node process running the deploy: if it dies before finishing, the placer
   * sees it gone from the members and settles the record (src/control/deploy/settle.ts).
   */
  by?: Deployer;
}

/** One run of one node: its name and when the process started (a restarted node is another run). */
export interface Deployer {
  node: string;
  startedAt: string;
}

/** A replicas app's pool size set at run time; it outlives deploys and overrides the manifest's `instances.count`. */
export interface ScaleRecord {
  app: string;
  replicas: number;
  setAt: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const pad = (n: number) => n.toString().padStart(8, '0');

export const keys = {
  release: (app: string, seq: number) => `${ROOT}${app}/release/${pad(seq)}`,
  releases: (app: string) => `${ROOT}${app}/release/`,
  route: (app: string) => `${ROOT}${app}/route`,
  deployment: (app: string, seq: number) => `${ROOT}${app}/deploy/${pad(seq)}`,
  deployments: (app: string) => `${ROOT}${app}/deploy/`,
  scale: (app: string) => `${ROOT}${app}/scale`,
};

/** Which record a key under ROOT holds, and of which app. */
export function parseKey(key: string): { app: string; kind: 'release' | 'route' | 'deploy' | 'scale' } | null {
  if (!key.startsWith(ROOT)) return null;
  const [app, kind] = key.slice(ROOT.length).split('/');
  if (kind === 'route' || kind === 'release' || kind === 'deploy' || kind === 'scale') return { app, kind };
  return null;
}

export function encodeRecord(record: unknown): Uint8Array {
  return enc.encode(JSON.stringify(record));
}

export function decodeRecord<T>(kv: Pick<KeyValue, 'value'>): T {
  return JSON.parse(dec.decode(kv.value)) as T;
}

export class Registry {
  /** `deployer`: the node process stamped on the deployments it starts (cluster nodes). */
  constructor(
    readonly store: Store,
    readonly deployer?: Deployer,
  ) {}

  async route(app: string): Promise<{ record: RouteRecord; revision: number } | null> {
    const kv = await this.store.get(keys.route(app));
    return kv ? { record: decodeRecord<RouteRecord>(kv), revision: kv.revision } : null;
  }

  async release(app: string, seq: number): Promise<ReleaseRecord | null> {
    const kv = await this.store.get(keys.release(app, seq));
    return kv ? decodeRecord<ReleaseRecord>(kv) : null;
  }

  async releases(app: string): Promise<ReleaseRecord[]> {
    return (await this.store.list(keys.releases(app))).map((kv) => decodeRecord<ReleaseRecord>(kv));
  }

  /** Apps that are routed; with `withoutRoute`, also those with only releases or history. */
  async apps(opts: { withoutRoute?: boolean } = {}): Promise<string[]> {
    const names = new Set<string>();
    for (const kv of await this.store.list(ROOT)) {
      const k = parseKey(kv.key);
      if (k && (opts.withoutRoute || k.kind === 'route')) names.add(k.app);
    }
    return [...names].sort();
  }

  async scale(app: string): Promise<ScaleRecord | null> {
    const kv = await this.store.get(keys.scale(app));
    return kv ? decodeRecord<ScaleRecord>(kv) : null;
  }

  async setScale(app: string, replicas: number): Promise<ScaleRecord> {
    const record: ScaleRecord = { app, replicas, setAt: new Date().toISOString() };
    await this.store.put(keys.scale(app), encodeRecord(record));
    return record;
  }

  async deployments(app: string): Promise<DeploymentRecord[]> {
    return (await this.store.list(keys.deployments(app))).map((kv) => decodeRecord<DeploymentRecord>(kv));
  }

  /**
   * Claims the app's next release number for `image` (create-only, retried when another deploy
   * took it first). With `deployment`, the deploy's record, made to point at the new release, is
   * written in the same transaction: one durable commit instead of two.
   */
  async addRelease(app: string, image: string, manifest: Manifest, deployment?: DeploymentRecord): Promise<ReleaseRecord> {
    for (;;) {
      const last = (await this.store.list(keys.releases(app))).at(-1);
      const seq = last ? decodeRecord<ReleaseRecord>(last).seq + 1 : 1;
      const record: ReleaseRecord = { app, seq, image, version: manifest.version, manifest, createdAt: new Date().toISOString() };
      const writes: TxnWrite[] = [{ op: 'put', key: keys.release(app, seq), value: encodeRecord(record) }];
      if (deployment) writes.push({ op: 'put', key: keys.deployment(deployment.app, deployment.seq), value: encodeRecord({ ...deployment, to: seq }) });
      const r = await this.store.transact({ conditions: [{ key: keys.release(app, seq), revision: 0 }], writes });
      if (r.ok) return record;
    }
  }

  /** Claims the next deployment number the same way. */
  async addDeployment(record: Omit<DeploymentRecord, 'id' | 'seq'>): Promise<DeploymentRecord> {
    for (;;) {
      const last = (await this.store.list(keys.deployments(record.app))).at(-1);
      const seq = last ? decodeRecord<DeploymentRecord>(last).seq + 1 : 1;
      const full: DeploymentRecord = { ...record, seq, id: `${record.app}#${seq}`, ...(this.deployer ? { by: this.deployer } : {}) };
      const r = await this.store.putIf(keys.deployment(record.app, seq), encodeRecord(full), 0);
      if (r.ok) return full;
    }
  }

  async saveDeployment(record: DeploymentRecord): Promise<void> {
    await this.store.put(keys.deployment(record.app, record.seq), encodeRecord(record));
  }

  /**
   * Deletes release records in one transaction, only if the app's route is still at `routeRevision`
   * (0: the app has no route): a switch meanwhile may have made one of them needed again.
   */
  async pruneReleases(app: string, seqs: readonly number[], routeRevision: number): Promise<boolean> {
    if (seqs.length === 0) return true;
    const r = await this.store.transact({
      conditions: [{ key: keys.route(app), revision: routeRevision }],
      writes: seqs.map((seq) => ({ op: 'delete' as const, key: keys.release(app, seq) })),
    });
    return r.ok;
  }

  /**
   * The switch: one compare-and-swap of the route from the revision the deploy read. Writes the
   * deployment record in the same transaction, so history and routing never disagree.
   */
  async switchRoute(route: RouteRecord, expectedRevision: number, deployment: DeploymentRecord): Promise<number | null> {
    const r = await this.store.transact({
      conditions: [{ key: keys.route(route.app), revision: expectedRevision }],
      writes: [
        { op: 'put', key: keys.route(route.app), value: encodeRecord(route) },
        { op: 'put', key: keys.deployment(deployment.app, deployment.seq), value: encodeRecord(deployment) },
      ],
    });
    return r.ok ? r.revision : null;
  }
}

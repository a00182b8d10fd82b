/**
 * Every instance the node knows of, live or hibernated, and the per-key directory that finds the
 * instance of (release, key). Keyed by release, not app: after a deploy the previous release's
 * instances stay where they are (kept warm), so a rollback finds them again as they were. The table
 * is the node's truth for `flick ps`; schedulers only hold what is running.
 */
import type { InstanceSnapshot } from './scheduler/protocol.js';

export type InstanceStatus = 'running' | 'hibernated' | 'moving';

export interface InstanceRecord {
  id: string;
  app: string;
  release: string;
  /** Per-key instances: their key; replicas: `#<n>`. */
  key: string;
  scheduler: number;
  status: InstanceStatus;
  requests: number;
  errors: number;
  restarts: number;
  cpuUsed: number;
  memoryBytes: number;
  startedAt: number;
  lastActive: number;
  /** Calls sent to the scheduler and not yet answered. */
  inflight: number;
  /** The last snapshot (hibernation, migration, checkpoint), the way back after a loss. */
  snapshot: InstanceSnapshot | null;
  /** Requests held while the instance moves or wakes; released in arrival order. */
  held: Array<() => void>;
  /**
   * Set when a deploy's switch made another release serve this key after its state was handed
   * over: requests that were held here go there instead (the old copy must not diverge).
   */
  handedOver: string | null;
  /** Set when a cluster key move took the instance to another node: requests held here go there. */
  movedTo?: string;
  /**
   * This copy may no longer be its key's newest: it came back from disk after a restart, its
   * release stopped serving (a rollback may bring it back), or (in a cluster) its node lost its
   * membership lease while holding it — another node may have taken the key over since. A cluster
   * node serves it only once the other members confirm they hold no copy
   * (src/cluster/key-fence.ts); alone, a node has no one to ask and ignores it.
   */
  unconfirmed?: boolean;
  /** Being stopped for good: no longer found by its key, and requests on it are routed again. */
  retired?: boolean;
}

export interface InstanceView {
  id: string;
  app: string;
  release: string;
  key: string;
  state: InstanceStatus;
  scheduler: number;
  memory: number;
  requests: number;
  errors: number;
  restarts: number;
  cpu: number;
  idleMs: number;
}

export class InstanceTable {
  private readonly byId = new Map<string, InstanceRecord>();
  private readonly byKey = new Map<string, string>();
  /** Instances per app (all releases): what the per-app instance limit is checked against. */
  private readonly perApp = new Map<string, number>();
  private seq = 0;

  private static keyOf(release: string, key: string): string {
    return `${release}\0${key}`;
  }

  find(release: string, key: string): InstanceRecord | undefined {
    const id = this.byKey.get(InstanceTable.keyOf(release, key));
    return id === undefined ? undefined : this.byId.get(id);
  }

  get(id: string): InstanceRecord | undefined {
    return this.byId.get(id);
  }

  create(app: string, release: string, key: string, scheduler: number, now: number): InstanceRecord {
    const rec: InstanceRecord = {
      id: `${app}-${(++this.seq).toString(36)}`,
      app, release, key, scheduler,
      status: 'running', requests: 0, errors: 0, restarts: 0, cpuUsed: 0, memoryBytes: 0,
      startedAt: now, lastActive: now, inflight: 0, snapshot: null, held: [], handedOver: null,
    };
    this.add(rec);
    return rec;
  }

  /** Puts back a record from disk (a hibernated instance after a node restart). */
  adopt(rec: InstanceRecord): void {
    const n = Number.parseInt(rec.id.slice(rec.id.lastIndexOf('-') + 1), 36);
    if (Number.isFinite(n) && n > this.seq) this.seq = n;
    this.add(rec);
  }

  remove(id: string): void {
    const rec = this.byId.get(id);
    if (!rec) return;
    this.byId.delete(id);
    this.retire(id, rec);
    const left = (this.perApp.get(rec.app) ?? 1) - 1;
    if (left > 0) this.perApp.set(rec.app, left);
    else this.perApp.delete(rec.app);
  }

  /** Stops finding `id` by its key (a new instance may take the key); it stays listed until removed. */
  retire(id: string, rec = this.byId.get(id)): void {
    if (!rec) return;
    const k = InstanceTable.keyOf(rec.release, rec.key);
    if (this.byKey.get(k) === id) this.byKey.delete(k);
  }

  countOf(app: string): number {
    return this.perApp.get(app) ?? 0;
  }

  private add(rec: InstanceRecord): void {
    this.byId.set(rec.id, rec);
    this.byKey.set(InstanceTable.keyOf(rec.release, rec.key), rec.id);
    this.perApp.set(rec.app, (this.perApp.get(rec.app) ?? 0) + 1);
  }

  all(): IterableIterator<InstanceRecord> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  view(now: number): InstanceView[] {
    return [...this.byId.values()].map((r) => ({
      id: r.id, app: r.app, release: r.release, key: r.key, state: r.status, scheduler: r.scheduler,
      memory: r.memoryBytes, requests: r.requests, errors: r.errors, restarts: r.restarts, cpu: r.cpuUsed,
      idleMs: Math.round(now - r.lastActive),
    }));
  }
}

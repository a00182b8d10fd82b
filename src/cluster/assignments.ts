/**
 * Where each replica of a replicas app runs in a cluster: `/flick/assign/<app>` holds the node of
 * every replica `#i`, written only by the placer (fenced by its term). Every node follows the
 * prefix (prefix-follower.ts: read all, then watch; read again when the watch fails or lags) and
 * tells its FlickNode which replicas are its own; the request path asks it where the others are.
 */
import type { KeyValue, Store } from '../control/store/store.js';
import { PrefixFollower } from '../control/store/prefix-follower.js';

export const ASSIGN_PREFIX = '/flick/assign/';
/** How often the assignments are read again to catch a watch that stopped delivering. */
const AUDIT_MS = 2_000;

export interface AssignmentRecord {
  app: string;
  /** The node of replica `#i`, for i = 0 … count-1; null when no node had room for it. */
  replicas: Array<string | null>;
  /** What each replica was placed with. */
  memoryBytes: number;
  /** Why some replicas have no node (placement error), or null. */
  unplaced: string | null;
  /** The placer term that wrote it. */
  placer: { node: string; token: number };
  at: string;
}

export const assignKey = (app: string): string => `${ASSIGN_PREFIX}${app}`;

const dec = new TextDecoder();

export function decodeAssignment(kv: Pick<KeyValue, 'value'>): AssignmentRecord {
  return JSON.parse(dec.decode(kv.value)) as AssignmentRecord;
}

/** What a node does with its share of an assignment (FlickNode.hostReplicas). */
export interface ReplicaHost {
  hostReplicas(app: string, indices: readonly number[] | null): Promise<void>;
}

/** Replicas this node was just given, with the node each was on before (null: new replica). */
export type GainedReplicas = ReadonlyArray<{ index: number; from: string | null }>;

export class AssignmentFollower {
  private readonly view = new Map<string, AssignmentRecord>();
  private follower: PrefixFollower | null = null;
  private waiters: Array<{ app: string; resolve: () => void }> = [];
  /** While this node is out of the cluster it hosts nothing: the placer may have moved its replicas. */
  private _fenced = false;

  constructor(
    private readonly store: Store,
    readonly self: string,
    private readonly host: ReplicaHost,
    /** Called before this node starts replicas it was just given (to restore them from checkpoints). */
    private readonly gained: (app: string, replicas: GainedReplicas) => void = () => {},
    /** Told when the assignments had to be read again (a failed or lagging watch), for the log. */
    private readonly onRecover?: (why: string) => void,
  ) {}

  /** Reads the assignments and follows them (read again should the watch fail or lag: prefix-follower.ts). */
  async start(): Promise<void> {
    this.follower = await PrefixFollower.start(this.store, ASSIGN_PREFIX, (ev) => {
      if (ev.type === 'put') this.apply(decodeAssignment(ev));
      else this.remove(ev.key.slice(ASSIGN_PREFIX.length));
    }, { auditMs: AUDIT_MS, onRecover: this.onRecover });
  }

  async stop(): Promise<void> {
    await this.follower?.close();
  }

  /** Whether this node hosts no replicas now because it lost its cluster lease (fence / unfence). */
  get fenced(): boolean {
    return this._fenced;
  }

  get(app: string): AssignmentRecord | undefined {
    return this.view.get(app);
  }

  /** Replica indices of `app` this node hosts (empty while fenced); undefined before the placer assigned the app. */
  local(app: string): number[] | undefined {
    const a = this.view.get(app);
    if (!a) return undefined;
    return this._fenced ? [] : indicesOf(a, this.self);
  }

  /** The other nodes hosting at least one replica of `app`. */
  peers(app: string): string[] {
    const a = this.view.get(app);
    return a ? [...new Set(a.replicas.filter((n): n is string => n !== null && n !== this.self))] : [];
  }

  /** Resolves when `app` has an assignment, or after `ms`. */
  async waitFor(app: string, ms: number): Promise<void> {
    if (this.view.has(app)) return;
    await new Promise<void>((resolve) => {
      const waiter = { app, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      }, ms).unref();
    });
  }

  /**
   * This node lost its cluster lease: by the time the placer can have noticed (the store's expiry
   * comes after this node's own deadline), it hosts none of its replicas any more, so a replica
   * never runs on two nodes at once. `unfence` when it is back.
   */
  fence(): void {
    this._fenced = true;
    for (const app of this.view.keys()) void this.host.hostReplicas(app, []);
  }

  /** Back in the cluster: host what the assignments (kept current meanwhile) give this node now. */
  unfence(): void {
    this._fenced = false;
    for (const a of [...this.view.values()]) this.apply(a);
  }

  private apply(a: AssignmentRecord): void {
    const before = this.view.get(a.app);
    this.view.set(a.app, a);
    if (!this._fenced) {
      const gained = indicesOf(a, this.self).filter((i) => before?.replicas[i] !== this.self).map((index) => ({ index, from: before?.replicas[index] ?? null }));
      if (gained.length > 0) this.gained(a.app, gained);
    }
    void this.host.hostReplicas(a.app, this._fenced ? [] : indicesOf(a, this.self));
    const ready = this.waiters.filter((w) => w.app === a.app);
    this.waiters = this.waiters.filter((w) => w.app !== a.app);
    for (const w of ready) w.resolve();
  }

  private remove(app: string): void {
    this.view.delete(app);
    void this.host.hostReplicas(app, null);
  }
}

function indicesOf(a: AssignmentRecord, node: string): number[] {
  const out: number[] = [];
  a.replicas.forEach((n, i) => n === node && out.push(i));
  return out;
}

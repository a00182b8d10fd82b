/**
 * Where each replica of a replicas app runs in a cluster: `/flick/assign/<app>` holds the node of
 * every replica `#i`, written only by the placer (fenced by its term). Every node follows the
 * prefix the way RouteSync follows routes — read all, then watch from the next revision — and
 * tells its FlickNode which replicas are its own; the request path asks it where the others are.
 */
import type { KeyValue, Store, Watch } from '../control/store/store.js';

export const ASSIGN_PREFIX = '/flick/assign/';

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
  private watch: Watch | null = null;
  private waiters: Array<{ app: string; resolve: () => void }> = [];
  /** While this node is out of the cluster it hosts nothing: the placer may have moved its replicas. */
  private fenced = false;

  constructor(
    private readonly store: Store,
    readonly self: string,
    private readonly host: ReplicaHost,
    /** Called before this node starts replicas it was just given (to restore them from checkpoints). */
    private readonly gained: (app: string, replicas: GainedReplicas) => void = () => {},
  ) {}

  async start(): Promise<void> {
    const revision = await this.store.revision();
    for (const kv of await this.store.list(ASSIGN_PREFIX)) this.apply(decodeAssignment(kv));
    this.watch = await this.store.watch(ASSIGN_PREFIX, { fromRevision: revision + 1 });
    void this.follow(this.watch);
  }

  async stop(): Promise<void> {
    await this.watch?.close();
  }

  get(app: string): AssignmentRecord | undefined {
    return this.view.get(app);
  }

  /** Replica indices of `app` this node hosts (empty while fenced); undefined before the placer assigned the app. */
  local(app: string): number[] | undefined {
    const a = this.view.get(app);
    if (!a) return undefined;
    return this.fenced ? [] : indicesOf(a, this.self);
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
    this.fenced = true;
    for (const app of this.view.keys()) void this.host.hostReplicas(app, []);
  }

  async unfence(): Promise<void> {
    this.fenced = false;
    // The watch may have missed nothing, but the placer decided without us: start from the store.
    const fresh = new Map((await this.store.list(ASSIGN_PREFIX)).map((kv) => [decodeAssignment(kv).app, decodeAssignment(kv)]));
    for (const app of [...this.view.keys()]) if (!fresh.has(app)) this.remove(app);
    for (const a of fresh.values()) this.apply(a);
  }

  private async follow(watch: Watch): Promise<void> {
    try {
      for await (const ev of watch) {
        const app = ev.key.slice(ASSIGN_PREFIX.length);
        if (ev.type === 'put') this.apply(decodeAssignment(ev));
        else this.remove(app);
      }
    } catch {
      // The watch ended with the store; a node that stays cut off is fenced by its lease's expiry.
    }
  }

  private apply(a: AssignmentRecord): void {
    const before = this.view.get(a.app);
    this.view.set(a.app, a);
    if (!this.fenced) {
      const gained = indicesOf(a, this.self).filter((i) => before?.replicas[i] !== this.self).map((index) => ({ index, from: before?.replicas[index] ?? null }));
      if (gained.length > 0) this.gained(a.app, gained);
    }
    void this.host.hostReplicas(a.app, this.fenced ? [] : indicesOf(a, this.self));
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

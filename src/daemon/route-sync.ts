/**
 * Keeps this node's routing equal to the routes in the store: reads them all at start, then
 * follows the store's watch from the next revision (no gap, no duplicate). A route change loads
 * the releases it names, then switches the node and the ingress in one synchronous step, so no
 * request sees half of a switch. Run-time replica counts (`flick scale`) follow the same watch.
 */
import type { Store, Watch } from '../control/store/store.js';
import { decodeRecord, parseKey, ROOT, type RouteRecord, type ScaleRecord } from '../control/registry.js';
import type { FlickNode } from '../node/node.js';
import type { RouteTable } from '../ingress/route-table.js';
import type { ReleaseLoader } from './release-loader.js';

type RouteWaiter = { route: RouteRecord; resolve: () => void };

export class RouteSync {
  private watch: Watch | null = null;
  private readonly applied = new Map<string, RouteRecord>();
  private waiters: RouteWaiter[] = [];
  private scaleWaiters: Array<{ scale: ScaleRecord; resolve: () => void }> = [];
  /** Route changes this node could not apply (a broken image…), newest last, for the logs. */
  readonly failures: Array<{ app: string; error: string }> = [];

  constructor(
    private readonly store: Store,
    private readonly loader: ReleaseLoader,
    private readonly node: FlickNode,
    private readonly routes: RouteTable,
  ) {}

  async start(): Promise<void> {
    const revision = await this.store.revision();
    for (const kv of await this.store.list(ROOT)) {
      const kind = parseKey(kv.key)?.kind;
      if (kind === 'route') await this.apply(decodeRecord<RouteRecord>(kv));
      if (kind === 'scale') this.applyScale(decodeRecord<ScaleRecord>(kv));
    }
    this.watch = await this.store.watch(ROOT, { fromRevision: revision + 1 });
    void this.follow(this.watch);
  }

  async stop(): Promise<void> {
    await this.watch?.close();
  }

  /** Resolves when this node routes as `route` says. */
  waitFor(route: RouteRecord): Promise<void> {
    if (sameRoute(this.applied.get(route.app), route)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ route, resolve }));
  }

  /** Resolves when this node's pool for `scale.app` has the size `scale` sets. */
  waitForScale(scale: ScaleRecord): Promise<void> {
    if (this.node.replicaCounts.get(scale.app) === scale.replicas) return Promise.resolve();
    return new Promise((resolve) => this.scaleWaiters.push({ scale, resolve }));
  }

  current(app: string): RouteRecord | undefined {
    return this.applied.get(app);
  }

  private async follow(watch: Watch): Promise<void> {
    try {
      for await (const ev of watch) {
        const k = parseKey(ev.key);
        if (k?.kind === 'scale') {
          if (ev.type === 'put') this.applyScale(decodeRecord<ScaleRecord>(ev));
          else void this.node.resizePool(k.app, null);
        }
        if (k?.kind !== 'route') continue;
        if (ev.type === 'put') await this.apply(decodeRecord<RouteRecord>(ev));
        else this.remove(k.app);
      }
    } catch (e) {
      this.failures.push({ app: '*', error: `route watch ended: ${(e as Error).message}` });
    }
  }

  private async apply(route: RouteRecord): Promise<void> {
    try {
      const main = await this.loader.ensure(route.app, route.release);
      const canary = route.canary ? { release: await this.loader.ensure(route.app, route.canary.release), weight: route.canary.weight } : null;
      const rel = this.node.releases.get(main)!;
      this.node.activate(route.app, { release: main, canary });
      this.routes.setApp(route.app, rel.manifest.routes);
      this.applied.set(route.app, route);
    } catch (e) {
      this.failures.push({ app: route.app, error: (e as Error).message });
      return;
    }
    const ready = this.waiters.filter((w) => sameRoute(route, w.route));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private applyScale(scale: ScaleRecord): void {
    void this.node.resizePool(scale.app, scale.replicas);
    const ready = this.scaleWaiters.filter((w) => w.scale.app === scale.app && w.scale.replicas === scale.replicas);
    this.scaleWaiters = this.scaleWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private remove(app: string): void {
    this.node.deactivate(app);
    this.routes.removeApp(app);
    this.applied.delete(app);
  }
}

function sameRoute(a: RouteRecord | undefined, b: RouteRecord): boolean {
  return a !== undefined && a.release === b.release && a.deployment === b.deployment && a.canary?.release === b.canary?.release && a.canary?.weight === b.canary?.weight;
}

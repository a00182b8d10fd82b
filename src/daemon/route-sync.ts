/**
 * Keeps this node's routing equal to the routes in the store: reads them all at start, then
 * follows them (prefix-follower.ts: read again should the watch fail or lag). A route change loads
 * the releases it names, then switches the node and the ingress in one synchronous step, so no
 * request sees half of a switch; one that cannot be applied yet (an image no peer could send, the
 * store out of reach) is tried again while it is still the app's newest. Run-time replica counts
 * (`flick scale`) follow the same way.
 */
import type { Store, WatchEvent } from '../control/store/store.js';
import { PrefixFollower } from '../control/store/prefix-follower.js';
import { KeyedSerial } from '../keyed-serial.js';
import { decodeRecord, parseKey, ROOT, type RouteRecord, type ScaleRecord } from '../control/registry.js';
import type { FlickNode } from '../node/node.js';
import type { RouteTable } from '../ingress/route-table.js';
import type { ReleaseLoader } from './release-loader.js';

type RouteWaiter = { route: RouteRecord; resolve: () => void };

/** How often the routes are read again to catch a watch that stopped delivering. */
const AUDIT_MS = 5_000;
/** Pause before a route change that could not be applied is tried again. */
const RETRY_MS = 1_000;
const MAX_FAILURES_KEPT = 100;

export class RouteSync {
  private follower: PrefixFollower | null = null;
  private readonly applied = new Map<string, RouteRecord>();
  /** The newest route of each app seen in the store: the only one a retry may apply. */
  private readonly newest = new Map<string, RouteRecord>();
  /** Route changes of one app apply one after another (a retry never overtakes a newer route). */
  private readonly serial = new KeyedSerial();
  private stopped = false;
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
    this.follower = await PrefixFollower.start(this.store, ROOT, (ev) => this.changed(ev), { auditMs: AUDIT_MS });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follower?.close();
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

  private async changed(ev: WatchEvent): Promise<void> {
    const k = parseKey(ev.key);
    if (k?.kind === 'scale') {
      if (ev.type === 'put') this.applyScale(decodeRecord<ScaleRecord>(ev));
      else void this.node.resizePool(k.app, null);
    }
    if (k?.kind !== 'route') return;
    if (ev.type === 'put') {
      const route = decodeRecord<RouteRecord>(ev);
      this.newest.set(route.app, route);
      await this.serial.run(route.app, () => this.apply(route));
    } else {
      this.newest.delete(k.app);
      await this.serial.run(k.app, async () => this.remove(k.app));
    }
  }

  private async apply(route: RouteRecord): Promise<void> {
    if (this.newest.get(route.app) !== route) return; // a newer route (or its removal) came meanwhile
    try {
      const main = await this.loader.ensure(route.app, route.release);
      const canary = route.canary ? { release: await this.loader.ensure(route.app, route.canary.release), weight: route.canary.weight } : null;
      if (this.newest.get(route.app) !== route) return;
      const rel = this.node.releases.get(main)!;
      this.node.activate(route.app, { release: main, canary });
      this.routes.setApp(route.app, rel.manifest.routes);
      this.applied.set(route.app, route);
    } catch (e) {
      this.failures.push({ app: route.app, error: (e as Error).message });
      if (this.failures.length > MAX_FAILURES_KEPT) this.failures.shift();
      setTimeout(() => {
        if (!this.stopped) void this.serial.run(route.app, () => this.apply(route));
      }, RETRY_MS).unref();
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

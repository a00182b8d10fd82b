/**
 * The JS half of a scheduler thread: JS releases and their instances. A JS call settles
 * asynchronously (its handler may await outbound fetches), so the thread posts its reply when it
 * settles, not at the end of the batch. An instance serves one call at a time, so every operation on
 * an instance waits for the one before it: what wasm instances get for free by running synchronously.
 */
import { SandboxError } from '../../runtime/errors.js';
import { JsApp, type JsAppOptions } from '../../runtime/js/app.js';
import type { InstanceLog, JsInstance, JsSnapshot } from '../../runtime/js/instance.js';
import type { GuestRequest, GuestResponse } from '../../runtime/request.js';
import type { InstanceCounters } from './protocol.js';

interface Held {
  instance: JsInstance;
  /** Settles when the instance's last queued operation has. */
  tail: Promise<unknown>;
}

/** Thrown for an instance the host does not hold; the worker answers `no_such_instance`. */
export class NoJsInstance extends Error {
  constructor(readonly instance: string) {
    super(`no JS instance ${instance}`);
    this.name = 'NoJsInstance';
  }
}

export class JsHost {
  private readonly apps = new Map<string, JsApp>();
  private readonly held = new Map<string, Held>();

  /** `logFor` gives each named instance its own log (lines tagged with the instance, as wasm ones are). */
  constructor(private readonly logFor: (release: string, instance: string) => InstanceLog) {}

  load(release: string, manifest: JsApp['manifest'], bundle: Uint8Array, opts: JsAppOptions): void {
    this.apps.set(release, new JsApp(manifest, bundle, opts));
  }

  /** Closes a release's app; false when the release is not a JS one. */
  unload(release: string): boolean {
    const app = this.apps.get(release);
    app?.close();
    return this.apps.delete(release);
  }

  /** Disposes every instance and closes every app (before the thread ends). */
  closeAll(): void {
    for (const held of this.held.values()) held.instance.dispose();
    this.held.clear();
    for (const app of this.apps.values()) app.close();
    this.apps.clear();
  }

  servesRelease(release: string): boolean {
    return this.apps.has(release);
  }

  /** Instances held. */
  get size(): number {
    return this.held.size;
  }

  holds(instance: string): boolean {
    return this.held.has(instance);
  }

  /** One request: a throwaway instance when `instance` is null, else the named one, spawned or restored when absent. */
  async call(release: string, instance: string | null, request: GuestRequest, restore?: JsSnapshot): Promise<{ response: GuestResponse; counters: InstanceCounters }> {
    const app = this.app(release);
    if (instance === null) {
      const fresh = app.spawn();
      try {
        return { response: await fresh.handle(request), counters: fresh.stats() };
      } finally {
        fresh.dispose();
      }
    }
    if (!this.held.has(instance)) this.hold(instance, restore ? app.restore(restore, this.logFor(release, instance)) : app.spawn(this.logFor(release, instance)));
    return this.queue(instance, async (inst) => ({ response: await inst.handle(request), counters: inst.stats() }));
  }

  /** `env.state` and counters at a quiescent point; with `drop`, the instance is freed afterwards. */
  snapshot(instance: string, drop: boolean): Promise<{ snapshot: JsSnapshot; counters: InstanceCounters }> {
    return this.queue(instance, (inst) => {
      const snapshot = inst.snapshot();
      const counters = inst.stats();
      if (drop) this.drop(instance);
      return { snapshot, counters };
    });
  }

  /** Starts `instance` now (a supervised replica) unless it is held already. */
  spawn(release: string, instance: string): InstanceCounters {
    const held = this.held.get(instance);
    return (held ? held.instance : this.hold(instance, this.app(release).spawn(this.logFor(release, instance)))).stats();
  }

  restore(release: string, instance: string, snapshot: JsSnapshot): InstanceCounters {
    return this.hold(instance, this.app(release).restore(snapshot, this.logFor(release, instance))).stats();
  }

  /**
   * The state handed to a new release: `env.state` as JSON text. A hibernated instance is woken from
   * `restore` for this only and freed again.
   */
  async saveState(release: string, instance: string, restore?: JsSnapshot): Promise<Uint8Array> {
    const save = (inst: JsInstance) => new TextEncoder().encode(inst.snapshot().stateJson);
    if (this.held.has(instance)) return this.queue(instance, save);
    if (!restore) throw new NoJsInstance(instance);
    const woken = this.app(release).restore(restore);
    try {
      return save(woken);
    } finally {
      woken.dispose();
    }
  }

  /** Starts `instance` of `release` with an old release's `env.state` (fresh when it saved none). */
  upgrade(release: string, instance: string, state: Uint8Array | null): InstanceCounters {
    const app = this.app(release);
    const log = this.logFor(release, instance);
    const inst = state === null ? app.spawn(log) : app.restore({ format: 1, app: app.manifest.name, build: app.fingerprint, stateJson: new TextDecoder().decode(state), calls: 0, cpuUsed: 0 }, log);
    return this.hold(instance, inst).stats();
  }

  drop(instance: string): void {
    this.held.get(instance)?.instance.dispose();
    this.held.delete(instance);
  }

  private app(release: string): JsApp {
    const app = this.apps.get(release);
    if (!app) throw new Error(`JS release ${release} is not loaded`);
    return app;
  }

  private hold(instance: string, inst: JsInstance): JsInstance {
    this.held.get(instance)?.instance.dispose();
    this.held.set(instance, { instance: inst, tail: Promise.resolve() });
    return inst;
  }

  /**
   * Runs `op` on the instance once everything queued before it has settled. An instance left dead
   * (a limit hit) or in an unknown state (an error that is not a SandboxError) is freed: the node's
   * supervisor decides what comes next.
   */
  private queue<T>(instance: string, op: (inst: JsInstance) => T | Promise<T>): Promise<T> {
    const held = this.held.get(instance);
    if (!held) return Promise.reject(new NoJsInstance(instance));
    const run = held.tail.then(async () => {
      if (this.held.get(instance) !== held) throw new NoJsInstance(instance);
      try {
        return await op(held.instance);
      } catch (e) {
        if (!(e instanceof SandboxError)) held.instance.dispose();
        throw e;
      } finally {
        if (held.instance.state === 'dead' && this.held.get(instance) === held) this.held.delete(instance);
      }
    });
    held.tail = run.catch(() => {});
    return run;
  }
}

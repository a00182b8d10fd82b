/**
 * A JS app loaded for serving: the image's bundle (one ES module), its grants, and V8's code cache
 * for the bundle. Loading spawns one instance and throws it away: that compiles the bundle once
 * (the code cache then makes every later spawn's compile cheap) and checks that it evaluates and
 * exports a fetch handler, so a broken bundle fails at load rather than on its first request.
 *
 * Every instance gets a new V8 context (its own globals, its own `env`) with the bundle evaluated
 * afresh. The isolate under it is recycled within the app: an instance that ends cleanly (disposed
 * while ready, never having hit a limit or thrown) hands its isolate back, and the app's next
 * instance builds its context there instead of in a new isolate (measured: a new isolate is ~1.1 ms
 * to create, ~0.2 ms to dispose, and its first request ~1.3 ms of lazy compilation; a context in a
 * recycled isolate ~0.4 ms). An isolate only ever runs one app build's code, and only one instance
 * at a time: it is never shared between live instances, so each keeps its own memory limit and CPU
 * clock. An instance that hits a limit or fails takes its isolate with it.
 */
import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import type { Manifest } from '../../image/manifest.js';
import { SandboxError } from '../errors.js';
import type { KvNamespace, LogLevel } from '../request.js';
import type { SandboxApp } from '../sandbox.js';
import type { CapabilityGrants } from './host-capabilities.js';
import { JsInstance, type InstanceLog, type JsSnapshot } from './instance.js';
import { fetchOutbound, type OutboundFetch } from './outbound.js';
import { preludeSnapshot } from './prelude-snapshot.js';

export interface JsAppOptions {
  /** KV namespaces the node provides, by name; only those the manifest grants reach the app. */
  kv?: ReadonlyMap<string, KvNamespace>;
  /** Where the app's console output goes. */
  log?: (level: LogLevel, message: string) => void;
  /** Performs outbound requests the manifest allows (default: Node's fetch, redirects not followed). */
  outbound?: OutboundFetch;
}

/** isolated-vm refuses smaller heaps; a JS app asking for less gets this much. */
export const MIN_JS_MEMORY_MIB = 8;

/** The name the bundle has in stack traces. */
const BUNDLE_FILENAME = 'file:///app.js';

/**
 * Spare isolates an app keeps (per thread: one app object per scheduler). Per-request calls that
 * arrive together all spawn before any ends, so the pool grows to the concurrency a thread sees,
 * up to this many; spares that go unused for a whole TRIM_MS are disposed, down to IDLE_SPARES.
 */
const MAX_SPARES = 32;
const IDLE_SPARES = 1;
const TRIM_MS = 1000;
/**
 * Instances one isolate hosts before it is replaced: bounds what nothing in a context can free and
 * an isolate keeps (registered symbols, the compilation cache) at a negligible amortised cost.
 */
const ISOLATE_USES = 100;

/** Module handles carry the code-cache fields too, though isolated-vm's typings only give them to scripts. */
type CompiledModule = ivm.Module & ivm.CachedDataResult & { cachedDataRejected?: boolean };

export class JsApp implements SandboxApp<JsSnapshot> {
  readonly manifest: Manifest;
  /** Identifies the build: a hash of the bundle. */
  readonly fingerprint: string;
  readonly grants: CapabilityGrants;
  readonly outbound: OutboundFetch;
  readonly memoryLimitMiB: number;
  private readonly source: string;
  private codeCache: ivm.ExternalCopy<ArrayBuffer> | null = null;
  /** Isolates whose last instance ended cleanly, with how many instances each has hosted. */
  private readonly spares: Array<{ isolate: ivm.Isolate; uses: number }> = [];
  /** The fewest spares held since the last trim: that many went unused all along. */
  private fewestSpares = 0;
  private trimTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(manifest: Manifest, code: Uint8Array, opts: JsAppOptions = {}) {
    if (manifest.runtime !== 'js') {
      throw new SandboxError('trap', `app ${manifest.name} has runtime "${manifest.runtime}", not "js"`, 'load wasm apps with WasmApp', 500);
    }
    try {
      this.source = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(code);
    } catch {
      throw new SandboxError('trap', "the app's bundle is not valid UTF-8", 'rebuild the image with `flick build`', 500);
    }
    this.manifest = manifest;
    this.fingerprint = createHash('sha256').update(code).digest('hex').slice(0, 16);
    this.memoryLimitMiB = Math.max(MIN_JS_MEMORY_MIB, manifest.resources.memoryMiB);
    const provided = opts.kv ?? new Map<string, KvNamespace>();
    this.grants = {
      kv: new Map(manifest.capabilities.kv.flatMap((name) => (provided.has(name) ? [[name, provided.get(name)!] as const] : []))),
      outbound: [...manifest.capabilities.outbound],
      log: opts.log ?? (() => {}),
    };
    this.outbound = opts.outbound ?? fetchOutbound;
    JsInstance.spawn(this).dispose();
  }

  /** A fresh instance; `log` receives its lines (default: the app's log). */
  spawn(log?: InstanceLog): JsInstance {
    this.checkOpen();
    return JsInstance.spawn(this, log);
  }

  restore(snapshot: JsSnapshot, log?: InstanceLog): JsInstance {
    this.checkOpen();
    return JsInstance.restore(this, snapshot, log);
  }

  close(): void {
    this.closed = true;
    this.codeCache?.release();
    this.codeCache = null;
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.trimTimer = null;
    for (const spare of this.spares.splice(0)) spare.isolate.dispose();
  }

  /** An isolate for a new instance: the most recently used spare when there is one, else a new one from the prelude snapshot. */
  takeIsolate(): { isolate: ivm.Isolate; uses: number } {
    const spare = this.spares.pop();
    this.fewestSpares = Math.min(this.fewestSpares, this.spares.length);
    return spare ?? { isolate: new ivm.Isolate({ memoryLimit: this.memoryLimitMiB, snapshot: preludeSnapshot() }), uses: 0 };
  }

  /**
   * Takes back the isolate of an instance that ended cleanly (its context already released), for
   * the next instance; disposes it instead once the app is closed, the pool is full, it is worn,
   * or its heap holds more than half the app's limit (an idle isolate does not collect garbage:
   * a big heap would sit in the pool as it is).
   */
  recycleIsolate(isolate: ivm.Isolate, uses: number): void {
    if (isolate.isDisposed) return;
    if (this.closed || uses >= ISOLATE_USES || this.spares.length >= MAX_SPARES) return isolate.dispose();
    const heap = isolate.getHeapStatisticsSync();
    if (heap.used_heap_size + heap.externally_allocated_size > this.memoryLimitMiB * 512 * 1024) return isolate.dispose();
    this.spares.push({ isolate, uses });
    this.scheduleTrim();
  }

  private scheduleTrim(): void {
    if (this.trimTimer || this.spares.length <= IDLE_SPARES) return;
    this.fewestSpares = this.spares.length;
    this.trimTimer = setTimeout(() => this.trim(), TRIM_MS).unref();
  }

  /** Disposes the spares that went unused since the last trim (the least recently used ones), keeping IDLE_SPARES. */
  private trim(): void {
    this.trimTimer = null;
    const surplus = Math.min(this.fewestSpares, this.spares.length - IDLE_SPARES);
    for (const spare of this.spares.splice(0, Math.max(0, surplus))) spare.isolate.dispose();
    this.scheduleTrim();
  }

  /** Compiles the bundle in `isolate` (a module belongs to one isolate), from the code cache once there is one. */
  compileBundle(isolate: ivm.Isolate): ivm.Module {
    const cache = this.codeCache;
    const module = isolate.compileModuleSync(this.source, {
      filename: BUNDLE_FILENAME,
      ...(cache ? { cachedData: cache } : { produceCachedData: true }),
    }) as CompiledModule;
    if (!cache && module.cachedData) this.codeCache = module.cachedData;
    return module;
  }

  private checkOpen(): void {
    if (this.closed) throw new SandboxError('instance_dead', `app ${this.manifest.name} is closed`, 'load the app again to spawn instances', 503);
  }
}

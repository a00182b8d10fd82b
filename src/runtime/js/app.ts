/**
 * A JS app loaded for serving: the image's bundle (one ES module), its grants, and V8's code cache
 * for the bundle. Loading spawns one instance and throws it away: that compiles the bundle once
 * (the code cache then makes every later spawn's compile cheap) and checks that it evaluates and
 * exports a fetch handler, so a broken bundle fails at load rather than on its first request.
 */
import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import type { Manifest } from '../../image/manifest.js';
import { SandboxError } from '../errors.js';
import type { KvNamespace, LogLevel } from '../request.js';
import type { SandboxApp } from '../sandbox.js';
import type { CapabilityGrants } from './host-capabilities.js';
import { JsInstance, type JsSnapshot } from './instance.js';
import { fetchOutbound, type OutboundFetch } from './outbound.js';

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

  spawn(): JsInstance {
    this.checkOpen();
    return JsInstance.spawn(this);
  }

  restore(snapshot: JsSnapshot): JsInstance {
    this.checkOpen();
    return JsInstance.restore(this, snapshot);
  }

  close(): void {
    this.closed = true;
    this.codeCache?.release();
    this.codeCache = null;
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

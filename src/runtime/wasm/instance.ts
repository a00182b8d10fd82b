/**
 * One wasm instance: its memory, its WASI state, its counters, and the rules of a call (fuel set
 * before, errors classified after). Spawned fresh, or restored from a snapshot.
 */
import type { GuestRequest, GuestResponse } from '../request.js';
import type { InstanceState, InstanceStats, SandboxInstance } from '../sandbox.js';
import { SandboxError } from '../errors.js';
import type { InstanceContext, StdioSink } from './host-context.js';
import type { InstanceLog, WasmApp } from './app.js';
import { applyMemory, captureMemory, memoryImageProblem, type MemoryImage } from './memory-image.js';
import { newWasiState, WasiExit, type WasiState } from './wasi/state.js';
import { cgiArguments, cgiEnvironment, parseCgiResponse } from './wagi.js';
import { finishResponse } from './abi/flick-imports.js';
import { hostAccess, type HostAccess } from './instrument/host-access-names.js';
import type { CallMessaging, MailboxMessage } from '../messaging.js';

export interface WasmSnapshot {
  format: 1;
  /** Fingerprint of the app (image + rewriting) it belongs to. */
  app: string;
  memory: MemoryImage;
  /** Bits of the module's mutable globals, in index order (see instrument/host-access.ts). */
  globals: bigint[];
  wasi: WasiState;
  calls: number;
  cpuUsed: number;
}

const MAX_LOG_LINE = 8192;
/** The image's read-only file tree, seen by the app at `/`. */
const IMAGE_MOUNTS = [{ guestPath: '/' }];
/** The WASI state of modules that import no WASI function: nothing can read or change it, so all share one. */
const NO_WASI: WasiState = Object.freeze(newWasiState({ args: [], env: [] }));

export class WasmInstance implements SandboxInstance<WasmSnapshot>, StdioSink {
  private readonly app: WasmApp;
  private readonly exports: WebAssembly.Exports;
  private readonly ctx: InstanceContext;
  /** The rewriter's control function (fuel, globals); null fuel ops when unmetered. */
  private readonly host: HostAccess;
  private readonly metered: boolean;
  private _state: InstanceState = 'ready';
  private disposed = false;
  private calls = 0;
  private cpuUsed = 0;
  /** WAGI: the CGI response being written to stdout. */
  private stdout: Uint8Array[] | null = null;
  /** Unfinished stdout/stderr lines; made on first output (most instances print nothing). */
  private partialLines: [string, string] | null = null;

  private constructor(app: WasmApp, memory: WebAssembly.Memory, wasi: WasiState, log: InstanceLog) {
    this.app = app;
    this.ctx = { memory, wasi, stdio: this, call: null, transfer: null, messaging: null, kv: app.kv, log, deadlineAt: Infinity, hostCallsLeft: 0 };
    this.exports = app.instantiate(memory).exports;
    this.host = hostAccess(this.exports);
    this.metered = app.layout.metered;
  }

  /** A fresh instance; start code runs with `messaging` (so `flick_init` may link, monitor or trap exits). */
  static spawn(app: WasmApp, log: InstanceLog = app.log, messaging: CallMessaging | null = null): WasmInstance {
    const self = new WasmInstance(app, app.pool.takeCold(), app.usesWasi ? newWasiState({ args: [app.manifest.name], env: [], mounts: IMAGE_MOUNTS }) : NO_WASI, log);
    if (app.entry === 'flick_handle') {
      self.ctx.messaging = messaging;
      try {
        for (const name of app.startExports) self.invoke(name);
      } finally {
        self.ctx.messaging = null;
      }
    }
    return self;
  }

  /**
   * A fresh instance of the new release that takes over an old instance's state through its
   * `flick_upgrade` hook (after start code, so the runtime is set up). A hook that traps or
   * returns non-zero leaves nothing behind: the error says why, and the old instance serves on.
   */
  static upgrade(app: WasmApp, state: Uint8Array | null, fromVersion: string, log: InstanceLog = app.log): WasmInstance {
    if (!app.upgradable) {
      throw new SandboxError('upgrade_refused', `release ${app.manifest.version} does not export flick_upgrade`, 'export flick_upgrade(): i32 to take over the state of running instances (docs/abi.md, "State upgrade")', 500);
    }
    const self = WasmInstance.spawn(app, log);
    self.ctx.transfer = { kind: 'upgrade', state, fromVersion };
    let status: unknown;
    try {
      status = self.invoke('flick_upgrade');
    } catch (e) {
      self.dispose();
      throw e;
    } finally {
      self.ctx.transfer = null;
    }
    if (status !== 0) {
      self.dispose();
      throw new SandboxError('upgrade_refused', `flick_upgrade refused the state of version ${fromVersion} (it returned ${String(status)})`, 'the instance stays on its old release; see the app log for why the hook refused, fix it and deploy again', 500);
    }
    return self;
  }

  static restore(app: WasmApp, snap: WasmSnapshot, log: InstanceLog = app.log): WasmInstance {
    if (snap.format !== 1 || snap.app !== app.fingerprint) {
      throw new SandboxError('snapshot_invalid', `the snapshot belongs to another app build (${snap.app}), not ${app.fingerprint}`, 'restore a snapshot into the release that took it; across releases use the state-upgrade path', 500);
    }
    const problem = memoryImageProblem(snap.memory, app.layout.memory.maximum);
    if (problem) throw new SandboxError('snapshot_invalid', `the snapshot is damaged: ${problem}`, 'take a new snapshot; this one cannot be restored', 500);
    if (snap.globals.length !== app.layout.globalCount) {
      throw new SandboxError('snapshot_invalid', `the snapshot has ${snap.globals.length} globals, the module ${app.layout.globalCount}`, 'take a new snapshot; this one cannot be restored', 500);
    }
    const memory = app.pool.takeWarm(snap.memory.pages);
    // Fork shares one snapshot between instances, so the plain-data WASI state is copied.
    const self = new WasmInstance(app, memory, structuredClone(snap.wasi), log);
    applyMemory(memory, snap.memory, app.initDirty);
    for (let i = 0; i < snap.globals.length; i++) self.host.setGlobal(i, snap.globals[i]);
    self.calls = snap.calls;
    self.cpuUsed = snap.cpuUsed;
    return self;
  }

  get state(): InstanceState {
    return this._state;
  }

  async handle(request: GuestRequest): Promise<GuestResponse> {
    return this.call(request);
  }

  /**
   * Serves one request synchronously (the scheduler's hot path). With `messaging`, the call may
   * message other instances: what it asks for is collected there.
   */
  call(request: GuestRequest, messaging: CallMessaging | null = null): GuestResponse {
    if (this._state !== 'ready') throw this.notReady();
    if (this.app.entry !== 'flick_handle') return this.callWagi(request);
    this.ctx.messaging = messaging;
    try {
      return this.callReactor(request);
    } finally {
      this.ctx.messaging = null;
    }
  }

  /**
   * Hands one mailbox entry to the instance's `flick_message` export, in a call of its own (same
   * limits as a request). An app without the export ignores its mailbox.
   */
  deliver(entry: MailboxMessage, messaging: CallMessaging): void {
    if (this._state !== 'ready') throw this.notReady();
    if (!this.app.receivesMessages) return;
    messaging.delivered = entry;
    this.ctx.messaging = messaging;
    try {
      this.invoke('flick_message');
      this.calls++;
    } finally {
      this.ctx.messaging = null;
      messaging.delivered = null;
    }
  }

  /** `shared`: the memory's bytes in a SharedArrayBuffer, for a snapshot that only moves between threads (captureMemory). */
  snapshot(shared = false): WasmSnapshot {
    if (this._state !== 'ready') throw this.notReady();
    const globals: bigint[] = [];
    for (let i = 0; i < this.app.layout.globalCount; i++) globals.push(this.host.global(i));
    const memory = captureMemory(this.ctx.memory, shared);
    this.app.pool.learnRestoreSize(memory.pages);
    return { format: 1, app: this.app.fingerprint, memory, globals, wasi: structuredClone(this.ctx.wasi), calls: this.calls, cpuUsed: this.cpuUsed };
  }

  /**
   * The state the instance hands to a new release: what its `flick_state_save` writes with
   * `state_write`; null when it exports no such hook. A trap ends the instance, as in any call.
   */
  saveState(): Uint8Array | null {
    if (this._state !== 'ready') throw this.notReady();
    if (!this.app.savesState) return null;
    const transfer = { kind: 'save' as const, chunks: [] as Uint8Array[], size: 0 };
    this.ctx.transfer = transfer;
    try {
      this.invoke('flick_state_save');
    } finally {
      this.ctx.transfer = null;
    }
    return Buffer.concat(transfer.chunks, transfer.size);
  }

  stats(): InstanceStats {
    return { calls: this.calls, cpuUsed: this.cpuUsed, memoryBytes: this._state === 'dead' ? 0 : this.ctx.memory.buffer.byteLength };
  }

  /** Frees the instance. Its memory goes back to the pool: nothing can call into it any more. */
  dispose(): void {
    if (this._state === 'busy') throw this.notReady();
    this._state = 'dead';
    if (!this.disposed) this.app.pool.recycle(this.ctx.memory);
    this.disposed = true;
  }

  private callReactor(request: GuestRequest): GuestResponse {
    const call = { request, status: 200, headers: [] as Array<[string, string]>, body: [] as Uint8Array[] };
    this.ctx.call = call;
    try {
      this.invoke('flick_handle');
    } finally {
      this.ctx.call = null;
    }
    this.calls++;
    return finishResponse(call);
  }

  /** WAGI: a command module runs once per request, its environment and stdin made from the request. */
  private callWagi(request: GuestRequest): GuestResponse {
    this.ctx.wasi = newWasiState({ args: cgiArguments(this.app.manifest.name, request), env: cgiEnvironment(request), stdin: request.body, mounts: IMAGE_MOUNTS });
    this.stdout = [];
    try {
      if (this.app.layout.startExport) this.invoke(this.app.layout.startExport);
      this.invoke('_start');
    } catch (e) {
      if (!(e instanceof SandboxError && e.code === 'exit' && (e.cause as WasiExit).code === 0)) throw e;
    } finally {
      this._state = 'dead';
    }
    this.calls++;
    const out = Buffer.concat(this.stdout);
    this.stdout = null;
    return parseCgiResponse(out);
  }

  /** Calls an export with the fuel budget of one call, and turns whatever goes wrong into a SandboxError. */
  private invoke(name: string): unknown {
    const fn = this.exports[name] as () => unknown;
    const ref = this.app.ref;
    const outer = ref.current;
    const budget = this.app.fuelPerCall;
    if (this.metered) this.host.setFuel(this.app.fuelBudget);
    this._state = 'busy';
    if (outer === null) {
      this.ctx.deadlineAt = performance.now() + this.app.manifest.resources.deadlineMs;
      this.ctx.hostCallsLeft = this.app.hostCallsPerCall;
    }
    ref.current = this.ctx;
    try {
      const result = fn();
      this._state = 'ready';
      return result;
    } catch (e) {
      this._state = 'dead';
      throw this.classify(e);
    } finally {
      ref.current = outer;
      if (this.metered) this.cpuUsed += budget - Math.max(0, this.host.fuel());
    }
  }

  private classify(e: unknown): SandboxError {
    const limits = this.app.manifest.resources;
    if (e instanceof SandboxError) return e;
    if (e instanceof WasiExit) {
      return new SandboxError('exit', `instance exited with code ${e.code}`, e.code === 0 ? 'a reactor app must return from its handler, not exit' : 'see the instance logs for why it exited', 503, { cause: e });
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      return new SandboxError('stack_overflow', 'instance overflowed its call stack (deep or unbounded recursion)', 'bound the recursion depth or make it iterative', 503, { cause: e });
    }
    if (this.metered && this.host.fuel() < 0) {
      return new SandboxError('cpu_budget_exceeded', `instance used up its CPU budget of ${limits.cpuMsPerCall} ms for one call`, 'do less work per request, or raise resources.cpuMsPerCall in flick.json', 503, { cause: e });
    }
    if (this.ctx.memory.buffer.byteLength >= this.app.memoryLimitBytes) {
      return new SandboxError('memory_limit_exceeded', `instance reached its memory limit of ${limits.memoryMiB} MiB`, 'use less memory per instance, or raise resources.memoryMiB in flick.json', 503, { cause: e });
    }
    const message = e instanceof Error ? e.message : String(e);
    return new SandboxError('trap', `instance trapped: ${message}`, 'this is a bug in the app: see its logs (flick logs APP)', 500, { cause: e });
  }

  private notReady(): SandboxError {
    return this._state === 'dead'
      ? new SandboxError('instance_dead', 'instance is no longer running', 'spawn a new instance (supervisors do this on their own)', 503)
      : new SandboxError('instance_dead', 'instance is busy with another call', 'calls into one instance are serialised by its scheduler', 503);
  }

  /**
   * The instance is its own stdio sink (one object less per instance: density). WAGI stdout is the
   * response; otherwise stdout and stderr become log lines, the unfinished last line kept until
   * its newline arrives.
   */
  write(fd: 1 | 2, bytes: Uint8Array): void {
    if (fd === 1 && this.stdout) {
      this.stdout.push(bytes.slice());
      return;
    }
    this.partialLines ??= ['', ''];
    const i = fd - 1;
    const lines = (this.partialLines[i] + Buffer.from(bytes).toString('utf8')).split('\n');
    this.partialLines[i] = lines.pop()!.slice(0, MAX_LOG_LINE);
    for (const line of lines) this.ctx.log(fd === 2 ? 'warn' : 'info', line.slice(0, MAX_LOG_LINE));
  }
}

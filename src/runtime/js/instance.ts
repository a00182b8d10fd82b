/**
 * One JS instance: a V8 isolate of its own while it lives (own heap, memory limit and CPU clock),
 * new from the prelude snapshot or recycled from an instance of the same app that ended cleanly
 * (see JsApp), and a new context in it where the app's bundle is evaluated. Calls run synchronously on the calling
 * thread (like wasm instances) under the call's CPU budget; a handler that awaits outbound fetches
 * is resumed as they complete, and the wall-clock deadline ends whatever is still pending.
 */
import ivm from 'isolated-vm';
import type { GuestRequest, GuestResponse, LogLevel } from '../request.js';
import type { InstanceState, InstanceStats, SandboxInstance } from '../sandbox.js';
import { SandboxError } from '../errors.js';
import type { JsApp } from './app.js';
import { acceptResponse, ownedBytes, requestForGuest } from './boundary.js';
import { CpuBudget } from './cpu-budget.js';
import { classifyIsolateError, cpuExceeded, deadlineExceeded, guestFailure, notReady, type GuestFailureKind } from './failures.js';
import { hostCallbacks, type CallHooks, type CapabilityGrants } from './host-capabilities.js';
import type { OutboundRequest, OutboundResponse } from './outbound.js';

/** What a JS instance hands to its successor: `env.state` and its counters. */
/** Where one instance's log lines go. */
export type InstanceLog = (level: LogLevel, message: string) => void;

export interface JsSnapshot {
  format: 1;
  /** The app's name. State moves between builds of one app (that is how upgrades keep it), never between apps. */
  app: string;
  /** The build that took it (a hash of the bundle). */
  build: string;
  /** `env.state` as JSON text. */
  stateJson: string;
  calls: number;
  /** CPU microseconds. */
  cpuUsed: number;
}

/** `env.state` of a fresh instance. */
const INITIAL_STATE_JSON = '{}';

/**
 * CPU allowed for start-up (prelude boot, bundle evaluation), at least. It bounds a bundle that
 * never finishes evaluating, which JsApp's load-time spawn then refuses; it is not the per-call
 * budget because a start-up occasionally includes a GC of several ms (measured p99 9 ms, max 21 ms
 * on a loaded host against a p50 of 0.9 ms), which must not fail a spawn.
 */
const STARTUP_CPU_MS = 1000;

/** The guest functions the host drives an instance through (made by the prelude's boot). */
interface GuestBridge {
  dispatch: ivm.Reference;
  complete: ivm.Reference;
  readState: ivm.Reference;
}

interface InFlightCall {
  id: number;
  budget: CpuBudget;
  /** performance.now() when the call began. */
  startedAt: number;
  /**
   * Ends a call still waiting on outbound fetches when its wall-clock time is up. Armed only when
   * the handler's first run did not answer: most calls answer within it, and a timer per call cost
   * more than the rest of the host's bookkeeping.
   */
  deadline: NodeJS.Timeout | null;
  /**
   * Aborts the call's outbound fetches when it ends; made by the first fetch (measured: making and
   * aborting one on every call cost ~50 µs, a fifth of a hello call on the scheduler).
   */
  outbound: AbortController | null;
  /** The guest's answer, recorded by the respond or fail callback and acted on once the guest has returned. */
  answer: GuestAnswer | null;
  /** A capability refused during the call: if the call then fails, this is why. */
  refusal: SandboxError | null;
  resolve(response: GuestResponse): void;
  reject(error: SandboxError): void;
}

/** What the guest answered, unchecked. */
type GuestAnswer = { ok: true; status: unknown; headers: unknown; body: unknown } | { ok: false; kind: unknown; message: unknown };

/**
 * How long a heap reading stands for the instance's memory in its counters: reading it costs a few
 * µs, a fifth of a hello call, and the figure is for display (isolated-vm enforces the limit).
 */
const MEMORY_READING_MS = 250;

export class JsInstance implements SandboxInstance<JsSnapshot> {
  private readonly app: JsApp;
  /** The app's grants, with this instance's own log when it has one. */
  private readonly grants: CapabilityGrants;
  private readonly isolate: ivm.Isolate;
  /** Instances the isolate has hosted, this one included. */
  private readonly isolateUses: number;
  /** Handles into this instance's context, released when the isolate goes back to the app. */
  private readonly handles: Array<{ release(): void }> = [];
  /** The isolate went back to the app: it is no longer this instance's to read or dispose. */
  private released = false;
  private readonly bridge: GuestBridge;
  private _state: InstanceState = 'ready';
  private calls: number;
  private cpuUsed: number;
  private lastCpuNs = 0n;
  private call: InFlightCall | null = null;
  private nextCallId = 1;
  private memoryReading = { bytes: 0, at: -Infinity };

  private constructor(app: JsApp, stateJson: string, calls: number, cpuUsed: number, log: InstanceLog | undefined) {
    this.app = app;
    this.grants = log ? { ...app.grants, log } : app.grants;
    this.calls = calls;
    this.cpuUsed = cpuUsed;
    const { isolate, uses } = app.takeIsolate();
    this.isolate = isolate;
    this.isolateUses = uses + 1;
    const budget = new CpuBudget(this.cpuClock, Math.max(app.manifest.resources.cpuMsPerCall, STARTUP_CPU_MS));
    try {
      this.bridge = this.start(stateJson, budget);
    } catch (e) {
      this.kill();
      const error = classifyIsolateError(e, app.manifest.resources);
      if (error.code !== 'trap') throw error;
      throw new SandboxError('trap', `the app failed to start: ${error.message.replace(/^instance failed: /, '')}`, 'the bundle must evaluate without errors and `export default { async fetch(request, env) { ... } }`', 500, { cause: e });
    } finally {
      this.cpuUsed += budget.usedMicros();
    }
  }

  /** A fresh instance; `log` receives its console lines and host-side warnings (default: the app's). */
  static spawn(app: JsApp, log?: InstanceLog): JsInstance {
    return new JsInstance(app, INITIAL_STATE_JSON, 0, 0, log);
  }

  static restore(app: JsApp, snap: JsSnapshot, log?: InstanceLog): JsInstance {
    if (snap.format !== 1 || snap.app !== app.manifest.name) {
      throw new SandboxError('snapshot_invalid', `the snapshot belongs to app ${JSON.stringify(snap.app)}, not ${JSON.stringify(app.manifest.name)}`, 'restore a snapshot into the app that took it', 500);
    }
    try {
      JSON.parse(snap.stateJson);
    } catch {
      throw new SandboxError('snapshot_invalid', 'the snapshot is damaged: its state is not JSON', 'take a new snapshot; this one cannot be restored', 500);
    }
    return new JsInstance(app, snap.stateJson, snap.calls, snap.cpuUsed, log);
  }

  get state(): InstanceState {
    return this._state;
  }

  async handle(request: GuestRequest): Promise<GuestResponse> {
    if (this._state !== 'ready') throw notReady(this._state === 'dead');
    this._state = 'busy';
    const limits = this.app.manifest.resources;
    return new Promise<GuestResponse>((resolve, reject) => {
      const call: InFlightCall = {
        id: this.nextCallId++,
        budget: new CpuBudget(this.cpuClock, limits.cpuMsPerCall),
        startedAt: performance.now(),
        deadline: null,
        outbound: null,
        answer: null,
        refusal: null,
        resolve,
        reject,
      };
      this.call = call;
      this.enter(call, this.bridge.dispatch, [call.id, ...requestForGuest(request, this.app.manifest.name)]);
      if (this.call === call) {
        const left = Math.max(0, limits.deadlineMs - (performance.now() - call.startedAt));
        call.deadline = setTimeout(() => this.end(call, deadlineExceeded(limits)), left);
      }
    });
  }

  snapshot(): JsSnapshot {
    if (this._state !== 'ready') throw notReady(this._state === 'dead');
    const budget = new CpuBudget(this.cpuClock, this.app.manifest.resources.cpuMsPerCall);
    let stateJson: unknown;
    try {
      stateJson = this.bridge.readState.applySync(undefined, [], { timeout: budget.timeoutMs() });
    } catch (e) {
      const error = classifyIsolateError(e, this.app.manifest.resources);
      // A guest exception (a cycle, a BigInt, a throwing toJSON) leaves the instance sound; a limit hit does not.
      if (error.code !== 'trap') {
        this.kill();
        throw error;
      }
      throw new SandboxError('snapshot_invalid', `env.state cannot be saved: ${error.message}`, 'keep env.state JSON-serialisable (plain objects, arrays, strings, numbers, booleans, null)', 500, { cause: e });
    } finally {
      this.cpuUsed += budget.usedMicros();
    }
    if (typeof stateJson !== 'string') throw new SandboxError('snapshot_invalid', 'env.state did not serialise to JSON text', 'keep env.state JSON-serialisable', 500);
    return { format: 1, app: this.app.manifest.name, build: this.app.fingerprint, stateJson, calls: this.calls, cpuUsed: this.cpuUsed };
  }

  stats(): InstanceStats {
    if (this._state === 'dead') return { calls: this.calls, cpuUsed: this.cpuUsed, memoryBytes: 0 };
    const now = performance.now();
    if (now - this.memoryReading.at >= MEMORY_READING_MS) {
      const heap = this.isolate.getHeapStatisticsSync();
      this.memoryReading = { bytes: heap.total_heap_size + heap.externally_allocated_size, at: now };
    }
    return { calls: this.calls, cpuUsed: this.cpuUsed, memoryBytes: this.memoryReading.bytes };
  }

  /**
   * Ends the instance. One that is idle and sound (never failed, never hit a limit) hands its
   * isolate back to the app for a later instance, its context released; any other takes the
   * isolate down with it, as a call still in flight may have left work inside.
   */
  dispose(): void {
    if (this.call) this.end(this.call, notReady(true));
    if (this._state !== 'ready') return this.kill();
    this.cpuClock();
    this._state = 'dead';
    this.released = true;
    for (const handle of this.handles.splice(0)) handle.release();
    this.app.recycleIsolate(this.isolate, this.isolateUses);
  }

  /** Wires the instance up: boot the prelude with the host callbacks, then evaluate the bundle and install its handler. */
  private start(stateJson: string, budget: CpuBudget): GuestBridge {
    const context = this.keep(this.isolate.createContextSync());
    const boot = this.keep(context.global.getSync('__flickBoot', { reference: true }));
    const callbacks = new ivm.ExternalCopy(hostCallbacks(this.grants, this.callHooks())).copyInto({ release: true });
    const config = new ivm.ExternalCopy({ kv: [...this.grants.kv.keys()], stateJson }).copyInto({ release: true });
    const bridge = this.keep(boot.applySync(undefined, [callbacks, config], { result: { reference: true }, timeout: budget.timeoutMs() }) as ivm.Reference<Record<keyof GuestBridge | 'install', unknown>>);
    const module = this.keep(this.app.compileBundle(this.isolate));
    module.instantiateSync(context, refuseImport);
    module.evaluateSync({ timeout: budget.timeoutMs() });
    const install = this.keep(bridge.getSync('install', { reference: true }));
    install.applySync(undefined, [this.keep(module.namespace).derefInto()], { timeout: budget.timeoutMs() });
    if (budget.exceeded()) throw cpuExceeded(this.app.manifest.resources, `start-up used ${budget.usedMicros()} µs`);
    return {
      dispatch: this.keep(bridge.getSync('dispatch', { reference: true })),
      complete: this.keep(bridge.getSync('complete', { reference: true })),
      readState: this.keep(bridge.getSync('readState', { reference: true })),
    };
  }

  private keep<T extends { release(): void }>(handle: T): T {
    this.handles.push(handle);
    return handle;
  }

  /** The isolate's CPU time; after a dispose (which can happen inside isolated-vm, on a memory limit) or a hand-back, the last reading. */
  private readonly cpuClock = (): bigint => {
    if (!this.released && !this.isolate.isDisposed) this.lastCpuNs = this.isolate.cpuTime;
    return this.lastCpuNs;
  };

  private callHooks(): CallHooks {
    // Callbacks run inside the guest's run: they only record, and enter() acts once the run returns.
    return {
      respond: (callId, status, headers, body) => this.answered(callId, { ok: true, status, headers, body }),
      failed: (callId, kind, message) => this.answered(callId, { ok: false, kind, message }),
      refused: (error) => {
        if (this.call) this.call.refusal ??= error;
      },
      startFetch: (fetchId, request) => this.startFetch(fetchId, request),
    };
  }

  private answered(callId: number, answer: GuestAnswer): void {
    if (this.call?.id === callId && this.call.answer === null) this.call.answer = answer;
  }

  private startFetch(fetchId: number, request: OutboundRequest): void {
    const call = this.call;
    if (!call) throw new SandboxError('capability_denied', 'fetch outside a request', 'call fetch while handling a request', 500);
    const settle = (ok: boolean, payload: unknown) => {
      if (this.call === call) this.enter(call, this.bridge.complete, [fetchId, ok, payload]);
    };
    call.outbound ??= new AbortController();
    this.app.outbound(request, call.outbound.signal).then(
      (response) => {
        const problem = outboundResponseProblem(response);
        if (problem) settle(false, `fetch ${request.url}: ${problem}`);
        else settle(true, { status: response.status, statusText: response.statusText, headers: response.headers, body: ownedBytes(response.body) });
      },
      (e: unknown) => settle(false, `fetch ${request.url} failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** Runs guest function `fn` for `call` under what is left of its CPU budget, then acts on the outcome. */
  private enter(call: InFlightCall, fn: ivm.Reference, args: unknown[]): void {
    try {
      fn.applySync(undefined, args, { arguments: { copy: true }, timeout: call.budget.timeoutMs() });
    } catch (e) {
      this.end(call, classifyIsolateError(e, this.app.manifest.resources));
      return;
    }
    if (call.answer) this.end(call, this.outcome(call, call.answer));
    else if (call.budget.exceeded()) this.end(call, cpuExceeded(this.app.manifest.resources, `the call used ${call.budget.usedMicros()} µs`));
  }

  private outcome(call: InFlightCall, answer: GuestAnswer): GuestResponse | SandboxError {
    if (answer.ok) {
      try {
        return acceptResponse(answer.status, answer.headers, answer.body);
      } catch (e) {
        return e as SandboxError;
      }
    }
    const kind: GuestFailureKind = answer.kind === 'not_response' ? 'not_response' : 'threw';
    if (kind === 'threw' && call.refusal) return call.refusal;
    return guestFailure(kind, typeof answer.message === 'string' ? answer.message : 'unknown error', this.app.manifest.resources);
  }

  /** Ends `call` once: counts it, frees its timers and fetches, and leaves the instance ready or, after a fatal error, dead. */
  private end(call: InFlightCall, outcome: GuestResponse | SandboxError): void {
    if (this.call !== call) return;
    this.call = null;
    if (call.deadline) clearTimeout(call.deadline);
    call.outbound?.abort();
    this.calls++;
    this.cpuUsed += call.budget.usedMicros();
    if (outcome instanceof SandboxError) {
      if (outcome.fatal) this.kill();
      else this._state = 'ready';
      call.reject(outcome);
    } else {
      this._state = 'ready';
      call.resolve(outcome);
    }
  }

  private kill(): void {
    this.cpuClock();
    this._state = 'dead';
    this.handles.length = 0;
    if (!this.released && !this.isolate.isDisposed) this.isolate.dispose();
  }
}

function outboundResponseProblem(response: OutboundResponse): string | null {
  if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) return `the response status ${response.status} cannot be handed to the app`;
  if (!(response.body instanceof Uint8Array)) return 'the response body is not bytes';
  return null;
}

/** Bundles are self-contained: there is nothing to import at run time, least of all node builtins. */
function refuseImport(specifier: string): never {
  throw new Error(`import of ${JSON.stringify(specifier)}: flick JS apps are single bundles and have no modules to import at run time`);
}

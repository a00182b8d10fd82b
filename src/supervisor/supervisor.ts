/**
 * An OTP supervisor (see docs/supervision.md). Like OTP's, it is a process with a mailbox: child
 * exits, retried restarts, exit signals and API calls are queued and handled one at a time, in
 * arrival order, so a restart in progress is never interleaved with another event. Waiting for a
 * particular child to stop is the one exception, as in OTP's selective receive: the wait watches
 * that child directly, and the child's queued exit event is later recognised as stale and dropped.
 */
import type { ChildHandle, ChildId, ChildSpec, ChildType, RestartType, ShutdownPolicy, StartResult } from './child.js';
import { shutdownChild, shutdownChildren, isExpectedShutdownExit } from './child-shutdown.js';
import {
  resolveChildSpec,
  resolveLimits,
  resolveStaticChildren,
  type ResolvedChildSpec,
  type Strategy,
  type SupervisorSpec,
} from './child-spec.js';
import { systemClock, type Clock } from './clock.js';
import { SupervisorError } from './errors.js';
import { isCleanExit, type ExitReason } from './exit-reason.js';
import { RestartIntensity } from './restart-intensity.js';
import { RunningChild } from './running-child.js';

/** Events a supervisor reports, at the points where OTP logs a progress or error report. */
export type SupervisorReport =
  | { kind: 'child_started'; supervisor: string; childId: ChildId; child: ChildHandle }
  | { kind: 'child_terminated'; supervisor: string; childId: ChildId; child: ChildHandle; reason: ExitReason }
  | { kind: 'start_error'; supervisor: string; childId: ChildId; error: unknown }
  | { kind: 'shutdown_error'; supervisor: string; childId: ChildId; child: ChildHandle; reason: ExitReason }
  | { kind: 'reached_max_restart_intensity'; supervisor: string; childId: ChildId };

export interface SupervisorOptions {
  /** The supervisor's id as a child handle; generated when absent. */
  name?: string;
  /** Time source for restart intensity and shutdown timeouts; default the system clock. */
  clock?: Clock;
  /** Receives progress and error reports (telemetry, logs). Must not throw. */
  onReport?: (report: SupervisorReport) => void;
}

/** One entry of `whichChildren()`, as OTP's `{Id, Child, Type, Modules}`. */
export interface ChildInfo {
  /** `undefined` for the dynamic children of a simple_one_for_one supervisor. */
  id: ChildId | undefined;
  /** The running child, `'restarting'` while a failed restart is being retried, or `undefined`. */
  child: ChildHandle | 'restarting' | undefined;
  type: ChildType;
}

export interface ChildCounts {
  specs: number;
  active: number;
  supervisors: number;
  workers: number;
}

/** A child spec plus the state of its current incarnation. */
interface ChildRecord {
  readonly id: ChildId;
  readonly restart: RestartType;
  readonly shutdown: ShutdownPolicy;
  readonly type: ChildType;
  /** Starts a new incarnation (for dynamic children, with the arguments given to startChild). */
  readonly launch: () => StartResult | Promise<StartResult>;
  running: RunningChild | undefined;
  /** A restart failed and a retry is queued (OTP's `{restarting, Pid}`). */
  restarting: boolean;
}

type MailboxEvent =
  | { kind: 'child_exit'; record: ChildRecord; child: RunningChild; reason: ExitReason }
  | { kind: 'try_again'; record: ChildRecord }
  | { kind: 'exit_signal'; reason: ExitReason }
  | { kind: 'call'; run: () => Promise<void>; refuse: (error: SupervisorError) => void };

type Lifecycle = 'running' | 'terminating' | 'dead';

let supervisorsStarted = 0;

export class Supervisor<Args extends unknown[] = []> implements ChildHandle {
  readonly id: string;
  private readonly strategy: Strategy;
  private readonly clock: Clock;
  private readonly onReport: ((report: SupervisorReport) => void) | undefined;
  private readonly intensity: RestartIntensity;
  /** Static children in start order (OTP keeps them reversed; whichChildren reverses back). */
  private readonly children: ChildRecord[] = [];
  /** simple_one_for_one only: the template and the dynamic children, in no meaningful order. */
  private readonly template: ResolvedChildSpec<Args> | undefined;
  private readonly dynamic = new Set<ChildRecord>();
  private readonly mailbox: MailboxEvent[] = [];
  /** The event being handled; a call in progress is answered `noproc` if the supervisor dies meanwhile. */
  private current: MailboxEvent | undefined;
  private draining = false;
  private lifecycle: Lifecycle = 'running';
  private exitReason: ExitReason | undefined;
  private readonly exitListeners: Array<(reason: ExitReason) => void> = [];

  /** Starts a supervisor and its children, in order. Rejects with `failed_to_start_child` if one fails. */
  static async start<Args extends unknown[] = []>(
    spec: SupervisorSpec<Args>,
    options: SupervisorOptions = {},
  ): Promise<Supervisor<Args>> {
    const supervisor = new Supervisor<Args>(spec, options);
    const staticChildren = spec.strategy === 'simple_one_for_one' ? [] : resolveStaticChildren(spec.children);
    try {
      await supervisor.call(() => supervisor.init(staticChildren));
    } catch (error) {
      supervisor.die('shutdown');
      throw error;
    }
    return supervisor;
  }

  private constructor(spec: SupervisorSpec<Args>, options: SupervisorOptions) {
    this.id = options.name ?? `supervisor:${++supervisorsStarted}`;
    this.strategy = spec.strategy;
    this.clock = options.clock ?? systemClock;
    this.onReport = options.onReport;
    const limits = resolveLimits(spec);
    this.intensity = new RestartIntensity(limits.intensity, limits.periodMs);
    if (spec.strategy === 'simple_one_for_one') {
      if (spec.children.length !== 1) {
        throw new SupervisorError('invalid_spec', 'a simple_one_for_one supervisor takes exactly one child spec');
      }
      this.template = resolveChildSpec(spec.children[0]);
    }
  }

  // ---- API (each call is queued behind earlier events, like a gen_server call) ----

  /**
   * Static supervisors: adds `spec` and starts it. simple_one_for_one: starts a dynamic child with
   * `args`. Resolves with the child, or `undefined` when its start returned `'ignore'`.
   * Errors: already_started, already_present, start_failed, invalid_spec, noproc.
   */
  startChild(specOrArgs: ChildSpec | Args): Promise<ChildHandle | undefined> {
    return this.call(async () => {
      if (this.template) {
        if (!Array.isArray(specOrArgs)) {
          throw new SupervisorError('invalid_spec', 'a simple_one_for_one supervisor starts children from arguments');
        }
        return this.startDynamicChild(this.template, specOrArgs as Args);
      }
      if (Array.isArray(specOrArgs)) {
        throw new SupervisorError('invalid_spec', `a ${this.strategy} supervisor starts children from child specs`);
      }
      return this.startStaticChild(resolveChildSpec(specOrArgs as ChildSpec));
    });
  }

  /**
   * Stops a child as its shutdown policy says. Static supervisors take the child id and keep the
   * spec (temporary children's specs are dropped); simple_one_for_one takes the child handle.
   * Errors: not_found, simple_one_for_one (an id given to simple_one_for_one), noproc.
   */
  terminateChild(target: ChildId | ChildHandle): Promise<void> {
    return this.call(async () => {
      if (this.template && typeof target === 'string') {
        throw new SupervisorError('simple_one_for_one', 'simple_one_for_one children are terminated by handle');
      }
      const record = typeof target === 'string' ? this.findStatic(target) : this.findByHandle(target);
      if (!record) throw new SupervisorError('not_found', `no child ${describeTarget(target)}`);
      await this.terminateRecord(record);
      this.forget(record);
    });
  }

  /** Starts again a static child whose spec is kept but which is not running. */
  restartChild(id: ChildId): Promise<ChildHandle | undefined> {
    return this.call(async () => {
      const record = this.findStoppedStatic(id);
      try {
        return await this.startRecord(record);
      } catch (error) {
        throw this.startFailure(record.id, error);
      }
    });
  }

  /** Removes the spec of a static child that is not running. */
  deleteChild(id: ChildId): Promise<void> {
    return this.call(async () => {
      this.removeStatic(this.findStoppedStatic(id));
    });
  }

  /** Children newest first for static supervisors (OTP's order); dynamic children in no promised order. */
  whichChildren(): Promise<ChildInfo[]> {
    return this.call(async () => {
      const info = (record: ChildRecord, id: ChildId | undefined): ChildInfo => ({
        id,
        child: record.restarting ? 'restarting' : record.running?.handle,
        type: record.type,
      });
      if (this.template) return [...this.dynamic].map((record) => info(record, undefined));
      return [...this.children].reverse().map((record) => info(record, record.id));
    });
  }

  countChildren(): Promise<ChildCounts> {
    return this.call(async () => {
      if (this.template) {
        // As OTP: one spec; every dynamic child counts under the template's type.
        const size = this.dynamic.size;
        const active = [...this.dynamic].filter((record) => record.running?.alive).length;
        const supervisors = this.template.type === 'supervisor' ? size : 0;
        return { specs: 1, active, supervisors, workers: size - supervisors };
      }
      const active = this.children.filter((record) => record.running?.alive).length;
      const supervisors = this.children.filter((record) => record.type === 'supervisor').length;
      return { specs: this.children.length, active, supervisors, workers: this.children.length - supervisors };
    });
  }

  /** Stops the supervisor (children in reverse start order) and resolves with its exit reason. */
  stop(reason: ExitReason = 'shutdown'): Promise<ExitReason> {
    const exited = new Promise<ExitReason>((resolve) => this.onExit(resolve));
    this.exit(reason, this.id);
    return exited;
  }

  // ---- ChildHandle: a supervisor is itself a child of its parent ----

  /**
   * An exit signal, taken as coming from the parent: a supervisor traps exits, so any reason other
   * than `kill` makes it stop its children in order and exit with that reason. `kill` ends it at
   * once with `killed`; its children then receive `killed`, as linked processes would in OTP.
   */
  exit(reason: ExitReason, _from: string): void {
    if (reason === 'kill') this.killNow();
    else this.enqueue({ kind: 'exit_signal', reason });
  }

  onExit(listener: (reason: ExitReason) => void): void {
    if (this.exitReason !== undefined) listener(this.exitReason);
    else this.exitListeners.push(listener);
  }

  // ---- mailbox ----

  private call<T>(body: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = async () => {
        try {
          resolve(await body());
        } catch (error) {
          reject(error);
        }
      };
      if (this.lifecycle === 'dead') reject(this.gone());
      else this.enqueue({ kind: 'call', run, refuse: reject });
    });
  }

  private enqueue(event: MailboxEvent): void {
    if (this.lifecycle === 'dead') return;
    this.mailbox.push(event);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let event = this.mailbox.shift(); event && this.lifecycle !== 'dead'; event = this.mailbox.shift()) {
        try {
          this.current = event;
          await this.handle(event);
        } catch (error) {
          // Calls report their own errors; anything else escaping is a fault in the supervisor
          // itself, which ends it like a crashing OTP supervisor: children are still stopped in
          // order, and if stopping them faults too, it ends anyway with the first fault.
          if (this.lifecycle === 'running') await this.terminateSelf({ error }).catch(() => undefined);
          this.die({ error });
        }
      }
    } finally {
      this.current = undefined;
      this.draining = false;
    }
  }

  private async handle(event: MailboxEvent): Promise<void> {
    switch (event.kind) {
      case 'call':
        return event.run();
      case 'child_exit':
        return this.onChildExit(event.record, event.child, event.reason);
      case 'try_again':
        if (event.record.restarting && this.holds(event.record)) await this.restart(event.record);
        return;
      case 'exit_signal':
        return this.terminateSelf(event.reason);
    }
  }

  // ---- starting ----

  private async init(specs: readonly ResolvedChildSpec[]): Promise<void> {
    for (const spec of specs) {
      const record = staticRecord(spec);
      this.children.push(record);
      try {
        const child = await this.startRecord(record);
        if (!child && record.restart === 'temporary') this.removeStatic(record);
      } catch (error) {
        this.report({ kind: 'start_error', supervisor: this.id, childId: record.id, error });
        await this.terminateStaticChildren();
        throw new SupervisorError('failed_to_start_child', `child ${record.id} failed to start`, {
          childId: record.id,
          cause: error,
        });
      }
    }
  }

  private async startStaticChild(spec: ResolvedChildSpec): Promise<ChildHandle | undefined> {
    const existing = this.findStatic(spec.id);
    if (existing?.running) {
      throw new SupervisorError('already_started', `child ${spec.id} is already running`, {
        childId: spec.id,
        child: existing.running.handle,
      });
    }
    if (existing) throw new SupervisorError('already_present', `child ${spec.id} is already present`, { childId: spec.id });
    const record = staticRecord(spec);
    let child: ChildHandle | undefined;
    try {
      child = await this.startRecord(record);
    } catch (error) {
      throw this.startFailure(spec.id, error);
    }
    // As OTP: an ignored temporary child leaves nothing behind; any other spec is kept.
    if (child || record.restart !== 'temporary') this.children.push(record);
    return child;
  }

  private async startDynamicChild(template: ResolvedChildSpec<Args>, args: Args): Promise<ChildHandle | undefined> {
    const record: ChildRecord = {
      id: template.id,
      restart: template.restart,
      shutdown: template.shutdown,
      type: template.type,
      launch: () => template.start(...args),
      running: undefined,
      restarting: false,
    };
    let child: ChildHandle | undefined;
    try {
      child = await this.startRecord(record);
    } catch (error) {
      throw this.startFailure(template.id, error);
    }
    if (child) this.dynamic.add(record);
    return child;
  }

  /** Starts a new incarnation of `record`; resolves `undefined` for `'ignore'`. Start errors propagate. */
  private async startRecord(record: ChildRecord): Promise<ChildHandle | undefined> {
    const result = await record.launch();
    if (this.lifecycle === 'dead') {
      // Killed while the child was starting: it is linked to nobody now, so end it the way a
      // linked child of a killed supervisor ends.
      if (result !== 'ignore') result.exit('killed', this.id);
      throw this.gone();
    }
    record.restarting = false;
    if (result === 'ignore') {
      record.running = undefined;
      return undefined;
    }
    record.running = new RunningChild(result, (child, reason) =>
      this.enqueue({ kind: 'child_exit', record, child, reason }),
    );
    this.report({ kind: 'child_started', supervisor: this.id, childId: record.id, child: result });
    return result;
  }

  private startFailure(childId: ChildId, error: unknown): unknown {
    if (error instanceof SupervisorError && error.code === 'noproc') return error;
    return new SupervisorError('start_failed', `child ${childId} failed to start`, { childId, cause: error });
  }

  // ---- restarting (OTP: restart_child/3, do_restart/3, restart/2,3) ----

  private async onChildExit(record: ChildRecord, child: RunningChild, reason: ExitReason): Promise<void> {
    // Stale: this incarnation was already dealt with by a shutdown that waited for it.
    if (record.running !== child) return;
    record.running = undefined;
    const restart = record.restart === 'permanent' || (record.restart === 'transient' && !isCleanExit(reason));
    if (restart || !isCleanExit(reason)) {
      this.report({ kind: 'child_terminated', supervisor: this.id, childId: record.id, child: child.handle, reason });
    }
    if (restart) await this.restart(record);
    else this.forget(record);
  }

  private async restart(record: ChildRecord): Promise<void> {
    if (!this.intensity.record(this.clock.now())) {
      this.report({ kind: 'reached_max_restart_intensity', supervisor: this.id, childId: record.id });
      this.forget(record);
      await this.terminateSelf('shutdown');
      return;
    }
    const failed = await this.restartByStrategy(record);
    // As OTP: a failed restart is retried through the mailbox, so calls and exit signals queued
    // meanwhile are served first; every retry counts against the restart intensity.
    if (failed) this.enqueue({ kind: 'try_again', record: failed });
  }

  /** Restarts what the strategy says; returns the record whose start failed, if one did. */
  private async restartByStrategy(record: ChildRecord): Promise<ChildRecord | undefined> {
    switch (this.strategy) {
      case 'one_for_one':
      case 'simple_one_for_one':
        return (await this.startDuringRestart(record)) ? undefined : record;
      case 'rest_for_one':
        return this.restartGroup(this.children.slice(this.children.indexOf(record)));
      case 'one_for_all':
        return this.restartGroup([...this.children]);
    }
  }

  /**
   * Stops `group` in reverse start order, then starts it again in start order. Temporary children
   * are stopped but not restarted (their specs are dropped). Stops at the first start failure.
   */
  private async restartGroup(group: readonly ChildRecord[]): Promise<ChildRecord | undefined> {
    for (const record of [...group].reverse()) {
      await this.terminateRecord(record);
      if (record.restart === 'temporary') this.removeStatic(record);
    }
    for (const record of group) {
      if (!this.holds(record)) continue;
      if (!(await this.startDuringRestart(record))) return record;
    }
    return undefined;
  }

  /** A start as part of a restart: failure marks the child restarting instead of propagating. */
  private async startDuringRestart(record: ChildRecord): Promise<boolean> {
    try {
      const child = await this.startRecord(record);
      if (!child && (this.template || record.restart === 'temporary')) this.forget(record);
      return true;
    } catch (error) {
      if (this.lifecycle === 'dead') throw error;
      record.restarting = true;
      this.report({ kind: 'start_error', supervisor: this.id, childId: record.id, error });
      return false;
    }
  }

  // ---- stopping ----

  /** Stops one child as its shutdown policy says, reporting an unexpected exit reason. */
  private async terminateRecord(record: ChildRecord): Promise<void> {
    const running = record.running;
    if (!running) return;
    const reason = await shutdownChild(running, record.shutdown, this.clock, this.id);
    this.checkShutdownExit(record, running, reason);
    if (record.running === running) record.running = undefined;
  }

  private checkShutdownExit(record: ChildRecord, running: RunningChild, reason: ExitReason): void {
    if (isExpectedShutdownExit(reason, record.shutdown, record.restart)) return;
    this.report({ kind: 'shutdown_error', supervisor: this.id, childId: record.id, child: running.handle, reason });
  }

  private async terminateStaticChildren(): Promise<void> {
    for (const record of [...this.children].reverse()) await this.terminateRecord(record);
  }

  /** simple_one_for_one: all dynamic children are signalled at once and share one timeout. */
  private async terminateDynamicChildren(template: ResolvedChildSpec<Args>): Promise<void> {
    const records = [...this.dynamic].filter((record) => record.running);
    const running = records.map((record) => record.running as RunningChild);
    const reasons = await shutdownChildren(running, template.shutdown, this.clock, this.id);
    records.forEach((record, i) => {
      this.checkShutdownExit(record, running[i], reasons[i]);
      record.running = undefined;
    });
    this.dynamic.clear();
  }

  private async terminateSelf(reason: ExitReason): Promise<void> {
    this.lifecycle = 'terminating';
    if (this.template) await this.terminateDynamicChildren(this.template);
    else await this.terminateStaticChildren();
    this.die(reason);
  }

  private killNow(): void {
    if (this.lifecycle === 'dead') return;
    const running = this.template ? [...this.dynamic] : this.children;
    this.die('killed');
    for (const record of running) record.running?.handle.exit('killed', this.id);
  }

  private die(reason: ExitReason): void {
    if (this.exitReason !== undefined) return;
    this.lifecycle = 'dead';
    this.exitReason = reason;
    const unanswered = this.current ? [this.current, ...this.mailbox.splice(0)] : this.mailbox.splice(0);
    for (const event of unanswered) if (event.kind === 'call') event.refuse(this.gone());
    for (const listener of this.exitListeners.splice(0)) listener(reason);
  }

  private gone(): SupervisorError {
    return new SupervisorError('noproc', `supervisor ${this.id} is not running`);
  }

  // ---- bookkeeping ----

  /** OTP's del_child: temporary and dynamic children are forgotten; others keep their spec. */
  private forget(record: ChildRecord): void {
    record.running = undefined;
    record.restarting = false;
    if (this.template) this.dynamic.delete(record);
    else if (record.restart === 'temporary') this.removeStatic(record);
  }

  private removeStatic(record: ChildRecord): void {
    const index = this.children.indexOf(record);
    if (index >= 0) this.children.splice(index, 1);
  }

  private holds(record: ChildRecord): boolean {
    return this.template ? this.dynamic.has(record) : this.children.includes(record);
  }

  private findStatic(id: ChildId): ChildRecord | undefined {
    return this.children.find((record) => record.id === id);
  }

  private findByHandle(handle: ChildHandle): ChildRecord | undefined {
    const records = this.template ? [...this.dynamic] : this.children;
    return records.find((record) => record.running?.handle === handle);
  }

  /** For restartChild/deleteChild: a static child that exists and is neither running nor restarting. */
  private findStoppedStatic(id: ChildId): ChildRecord {
    if (this.template) {
      throw new SupervisorError('simple_one_for_one', 'not supported by a simple_one_for_one supervisor');
    }
    const record = this.findStatic(id);
    if (!record) throw new SupervisorError('not_found', `no child ${id}`, { childId: id });
    if (record.restarting) throw new SupervisorError('restarting', `child ${id} is restarting`, { childId: id });
    if (record.running) throw new SupervisorError('running', `child ${id} is running`, { childId: id });
    return record;
  }

  private report(report: SupervisorReport): void {
    this.onReport?.(report);
  }
}

function staticRecord(spec: ResolvedChildSpec): ChildRecord {
  return {
    id: spec.id,
    restart: spec.restart,
    shutdown: spec.shutdown,
    type: spec.type,
    launch: () => spec.start(),
    running: undefined,
    restarting: false,
  };
}

function describeTarget(target: ChildId | ChildHandle): string {
  return typeof target === 'string' ? target : target.id;
}

/** A child spec that runs a supervisor under another one (type supervisor, shutdown infinity). */
export function supervisorChildSpec<Args extends unknown[] = []>(
  id: ChildId,
  spec: SupervisorSpec<Args>,
  options: SupervisorOptions = {},
  restart: RestartType = 'permanent',
): ChildSpec {
  return { id, type: 'supervisor', restart, start: () => Supervisor.start(spec, options) };
}

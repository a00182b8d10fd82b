/**
 * Processes with Erlang's links, monitors and exit trapping (erlang:link/1, unlink/1, monitor/2,
 * demonitor/1, exit/2, process_flag(trap_exit, _)). A process here is bookkeeping around something
 * that runs elsewhere (a wasm instance, an isolate): the table decides who dies of whose exit and
 * delivers EXIT/DOWN messages to mailbox callbacks; the owner of the process frees what it holds
 * when told, through `terminated`.
 *
 * Signals are queued and delivered in order by a loop that never nests, so a mailbox callback may
 * call back into the table safely; the cascade an operation starts has completed when the outermost
 * table call returns.
 */
import type { ChildHandle } from './child.js';
import { ProcessError } from './errors.js';
import type { ExitReason } from './exit-reason.js';

export type Pid = string;
export type MonitorRef = string;

/** What a mailbox receives: `{'EXIT', From, Reason}`, `{'DOWN', Ref, process, Pid, Reason}`, or a message. */
export type ProcessMessage =
  | { kind: 'exit'; from: Pid; reason: ExitReason }
  | { kind: 'down'; ref: MonitorRef; pid: Pid; reason: ExitReason }
  | { kind: 'message'; from: Pid | undefined; payload: unknown };

export interface ProcessBehaviour {
  /** The mailbox. A throw is a crash: the process ends with `{ error }`. */
  receive(message: ProcessMessage): void;
  /**
   * Called once, when the process has ended for any reason, so its owner can free what it holds.
   * Must not throw: it runs while the table is delivering signals.
   */
  terminated?(reason: ExitReason): void;
}

export interface SpawnOptions {
  /** Initial `trap_exit` flag; default false. */
  trapExits?: boolean;
  /** Link to this process as part of the spawn (spawn_link). */
  linkTo?: Pid;
  /**
   * A chosen pid instead of a generated one, like a registered name: flick addresses instances by
   * key, and a key's process keeps its name across restarts. Spawning a live pid is `badarg`.
   */
  pid?: Pid;
}

interface ProcessEntry {
  readonly pid: Pid;
  readonly behaviour: ProcessBehaviour;
  trapExits: boolean;
  readonly links: Set<Pid>;
  /** Monitors others hold on this process. */
  readonly monitoredBy: Set<MonitorRef>;
  /** Monitors this process holds on others. */
  readonly monitoring: Set<MonitorRef>;
  readonly exitListeners: Array<(reason: ExitReason) => void>;
}

interface MonitorEntry {
  readonly watcher: Pid;
  readonly target: Pid;
}

type Signal =
  | { kind: 'exit'; from: Pid; to: Pid; reason: ExitReason; viaLink: boolean }
  | { kind: 'down'; ref: MonitorRef; reason: ExitReason }
  | { kind: 'message'; from: Pid | undefined; to: Pid; payload: unknown };

export class ProcessTable {
  private readonly processes = new Map<Pid, ProcessEntry>();
  private readonly monitors = new Map<MonitorRef, MonitorEntry>();
  private readonly signals: Signal[] = [];
  private delivering = false;
  private nextPid = 1;
  private nextRef = 1;

  spawn(behaviour: ProcessBehaviour, options: SpawnOptions = {}): ProcessHandle {
    if (options.linkTo !== undefined) this.entry(options.linkTo);
    if (options.pid !== undefined && this.processes.has(options.pid)) throw new ProcessError('badarg', `a process named ${options.pid} is already alive`);
    const pid = options.pid ?? `<${this.nextPid++}>`;
    this.processes.set(pid, {
      pid,
      behaviour,
      trapExits: options.trapExits ?? false,
      links: new Set(),
      monitoredBy: new Set(),
      monitoring: new Set(),
      exitListeners: [],
    });
    if (options.linkTo !== undefined) this.link(options.linkTo, pid);
    return new ProcessHandle(this, pid);
  }

  isAlive(pid: Pid): boolean {
    return this.processes.has(pid);
  }

  /**
   * Links `self` and `other` (idempotent). Linking to a process that does not exist sends `self`
   * an exit signal `noproc` when it traps exits, and throws `noproc` otherwise, as erlang:link/1.
   */
  link(self: Pid, other: Pid): void {
    const me = this.entry(self);
    if (self === other) return;
    const peer = this.processes.get(other);
    if (!peer) {
      if (!me.trapExits) throw new ProcessError('noproc', `cannot link ${self} to ${other}: no such process`);
      this.post({ kind: 'exit', from: other, to: self, reason: 'noproc', viaLink: true });
      return;
    }
    me.links.add(other);
    peer.links.add(self);
  }

  unlink(self: Pid, other: Pid): void {
    this.entry(self).links.delete(other);
    this.processes.get(other)?.links.delete(self);
  }

  /**
   * `self` watches `target`: it will receive exactly one DOWN message for the returned ref, with
   * the target's exit reason, or `noproc` if the target does not exist. Monitors stack.
   */
  monitor(self: Pid, target: Pid): MonitorRef {
    const watcher = this.entry(self);
    const ref = `#Ref<${this.nextRef++}>`;
    this.monitors.set(ref, { watcher: self, target });
    watcher.monitoring.add(ref);
    const watched = this.processes.get(target);
    if (watched) watched.monitoredBy.add(ref);
    else this.post({ kind: 'down', ref, reason: 'noproc' });
    return ref;
  }

  /**
   * Removes a monitor. No DOWN for `ref` is delivered after this returns, even one already on its
   * way (erlang:demonitor(Ref, [flush])). Returns whether the monitor was active.
   */
  demonitor(self: Pid, ref: MonitorRef): boolean {
    const monitor = this.monitors.get(ref);
    if (!monitor || monitor.watcher !== self) return false;
    this.dropMonitor(ref, monitor);
    return true;
  }

  /** process_flag(trap_exit, flag): returns the previous value. */
  setTrapExits(self: Pid, flag: boolean): boolean {
    const me = this.entry(self);
    const previous = me.trapExits;
    me.trapExits = flag;
    return previous;
  }

  /**
   * erlang:exit(To, Reason) sent by `from`: `kill` ends `to` with `killed` whatever it traps; a
   * trapping process receives any other reason as an EXIT message; otherwise `normal` is ignored
   * (unless a process sends it to itself) and any other reason ends `to` with that reason.
   * Signals to processes that no longer exist are dropped.
   */
  exit(from: Pid, to: Pid, reason: ExitReason): void {
    this.post({ kind: 'exit', from, to, reason, viaLink: false });
  }

  /**
   * The process ends with `reason` of its own accord (its code returned, crashed or called exit/1).
   * Its links receive an exit signal with `reason` and its monitors a DOWN. No-op if already dead.
   */
  terminate(pid: Pid, reason: ExitReason): void {
    const entry = this.processes.get(pid);
    if (entry) this.end(entry, reason);
    this.deliverAll();
  }

  /** Pid ! Payload. Messages to processes that do not exist are dropped, as in Erlang. */
  send(from: Pid | undefined, to: Pid, payload: unknown): void {
    this.post({ kind: 'message', from, to, payload });
  }

  /** The processes `pid` is linked to (empty when it is not alive). */
  linksOf(pid: Pid): Pid[] {
    return [...(this.processes.get(pid)?.links ?? [])];
  }

  /** The process an active monitor watches; undefined once it fired or was removed. */
  monitorTarget(ref: MonitorRef): Pid | undefined {
    return this.monitors.get(ref)?.target;
  }

  /** Every live pid, in spawn order. */
  pids(): Pid[] {
    return [...this.processes.keys()];
  }

  /** Registers a listener for `pid`'s end; called at once with `noproc` if it is not alive. */
  onExit(pid: Pid, listener: (reason: ExitReason) => void): void {
    const entry = this.processes.get(pid);
    if (entry) entry.exitListeners.push(listener);
    else listener('noproc');
  }

  private entry(pid: Pid): ProcessEntry {
    const entry = this.processes.get(pid);
    if (!entry) throw new ProcessError('badarg', `no such process ${pid}`);
    return entry;
  }

  private post(signal: Signal): void {
    this.signals.push(signal);
    this.deliverAll();
  }

  private deliverAll(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let signal = this.signals.shift(); signal; signal = this.signals.shift()) this.deliver(signal);
    } finally {
      this.delivering = false;
    }
  }

  private deliver(signal: Signal): void {
    switch (signal.kind) {
      case 'message': {
        const target = this.processes.get(signal.to);
        if (target) this.receive(target, { kind: 'message', from: signal.from, payload: signal.payload });
        return;
      }
      case 'down': {
        const monitor = this.monitors.get(signal.ref);
        if (!monitor) return; // demonitored, or the watcher ended, after the DOWN was queued
        this.dropMonitor(signal.ref, monitor);
        const watcher = this.processes.get(monitor.watcher);
        if (watcher) this.receive(watcher, { kind: 'down', ref: signal.ref, pid: monitor.target, reason: signal.reason });
        return;
      }
      case 'exit':
        return this.deliverExit(signal);
    }
  }

  private deliverExit(signal: Extract<Signal, { kind: 'exit' }>): void {
    const target = this.processes.get(signal.to);
    if (!target) return;
    // Only kill sent by exit/2 is untrappable; a link signal carrying `kill` (from a process that
    // itself ended with reason kill) is an ordinary signal, as in Erlang.
    if (signal.reason === 'kill' && !signal.viaLink) return this.end(target, 'killed');
    if (target.trapExits) return this.receive(target, { kind: 'exit', from: signal.from, reason: signal.reason });
    if (signal.reason === 'normal') {
      if (signal.from === signal.to && !signal.viaLink) this.end(target, 'normal');
      return;
    }
    this.end(target, signal.reason);
  }

  private receive(entry: ProcessEntry, message: ProcessMessage): void {
    try {
      entry.behaviour.receive(message);
    } catch (error) {
      if (this.processes.get(entry.pid) === entry) this.end(entry, { error });
    }
  }

  /** Removes the process and queues what its end sends: link exit signals and DOWN messages. */
  private end(entry: ProcessEntry, reason: ExitReason): void {
    this.processes.delete(entry.pid);
    for (const other of entry.links) {
      this.processes.get(other)?.links.delete(entry.pid);
      this.signals.push({ kind: 'exit', from: entry.pid, to: other, reason, viaLink: true });
    }
    for (const ref of entry.monitoredBy) this.signals.push({ kind: 'down', ref, reason });
    for (const ref of entry.monitoring) {
      const monitor = this.monitors.get(ref);
      if (monitor) this.dropMonitor(ref, monitor);
    }
    entry.behaviour.terminated?.(reason);
    for (const listener of entry.exitListeners.splice(0)) listener(reason);
  }

  private dropMonitor(ref: MonitorRef, monitor: MonitorEntry): void {
    this.monitors.delete(ref);
    this.processes.get(monitor.watcher)?.monitoring.delete(ref);
    this.processes.get(monitor.target)?.monitoredBy.delete(ref);
  }
}

/**
 * A table process seen as a supervisor child: `exit` is erlang:exit/2 from the supervisor, and the
 * end is reported with the process's exit reason. The handle remembers the reason, so a listener
 * registered after the end still gets it (the table itself forgets dead processes).
 */
export class ProcessHandle implements ChildHandle {
  private reason: ExitReason | undefined;
  private readonly listeners: Array<(reason: ExitReason) => void> = [];

  constructor(
    private readonly table: ProcessTable,
    readonly id: Pid,
  ) {
    table.onExit(id, (reason) => {
      this.reason = reason;
      for (const listener of this.listeners.splice(0)) listener(reason);
    });
  }

  exit(reason: ExitReason, from: string): void {
    this.table.exit(from, this.id, reason);
  }

  onExit(listener: (reason: ExitReason) => void): void {
    if (this.reason !== undefined) listener(this.reason);
    else this.listeners.push(listener);
  }
}

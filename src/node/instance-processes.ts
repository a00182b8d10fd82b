/**
 * Instances as Erlang processes: the node's side of messaging (docs/abi.md, "Messaging") and of
 * supervised replica pools (replica-pools.ts). Each per-key or replica instance of an app granted
 * `capabilities.messaging`, and each replica of any replicas app, is a process of the
 * supervisor library's ProcessTable, named `APP/KEY`, so links, monitors, exit trapping and
 * exit signals follow OTP's rules exactly (the table is tested case by case). The node feeds it
 * what calls asked for (effects) and how instances ended; the table decides who else ends and who
 * is told, and this module turns that into mailbox deliveries and instance kills through
 * `ProcessHost`.
 *
 * Instances are virtual actors: a key's process exists from the first request or message that
 * names it, and sending to a key that has none starts it, like a request would. A process ends
 * when its instance crashes or is killed by a signal; the key's next use starts a new process
 * (without the old one's links and monitors, as a restarted Erlang process), which keeps the
 * trap-exit flag: flick restarts an instance from its last snapshot, and the flag is part of
 * what it had set.
 */
import { formatExitReason, ProcessError, ProcessHandle, ProcessTable, type ExitReason, type MonitorRef, type Pid, type ProcessMessage } from '../supervisor/index.js';
import { MESSAGING_LIMITS, type MailboxMessage, type MessagingEffect } from '../runtime/messaging.js';

export interface ProcessHost {
  /** Whether (app, key) may have a process: the key names an instance the app may have (limits, replica range). */
  admits(app: string, key: string): boolean;
  /** Hands an entry to the instance of (app, key), starting or waking it as a request would. */
  deliver(app: string, key: string, message: MailboxMessage): Promise<void>;
  /** The process of (app, key) was ended by a signal (a link, an exit): its instance must go. */
  killed(app: string, key: string, reason: ExitReason): void;
}

export interface MessagingCounters {
  sent: number;
  delivered: number;
  /** Messages dropped because the receiver's mailbox was full. */
  dropped: number;
  /** Processes ended by a signal from another (links, exits). */
  killed: number;
}

function pidOf(app: string, key: string): Pid {
  return `${app}/${key}`;
}

function keyOf(pid: Pid): string {
  return pid.slice(pid.indexOf('/') + 1);
}

/** `exit(Pid, Reason)` from a guest: the atoms it may name, anything else an abnormal reason. */
function exitReason(text: string): ExitReason {
  return text === 'normal' || text === 'kill' || text === 'shutdown' ? text : { error: text };
}

export class InstanceProcesses {
  private readonly table = new ProcessTable();
  /** Guest monitor refs (numbers) of each watcher, to the table's refs. */
  private readonly monitorsOf = new Map<Pid, Map<number, MonitorRef>>();
  private readonly guestRef = new Map<MonitorRef, number>();
  /** trap_exit flags, kept across a key's restarts (see the module comment). */
  private readonly trapping = new Set<Pid>();
  /** Entries on their way to each process, bounded by MESSAGING_LIMITS.mailboxDepth. */
  private readonly inbox = new Map<Pid, number>();
  /** The process whose own crash is being reported: the host already knows, so it is not told again. */
  private crashing: Pid | null = null;
  readonly counters: MessagingCounters = { sent: 0, delivered: 0, dropped: 0, killed: 0 };

  constructor(private readonly host: ProcessHost) {}

  /** The process of (app, key), started if it has none. */
  ensure(app: string, key: string): Pid {
    const pid = pidOf(app, key);
    if (this.table.isAlive(pid)) return pid;
    this.table.spawn(
      {
        receive: (m) => this.receive(app, pid, m),
        terminated: (reason) => this.terminated(app, pid, reason),
      },
      { pid, trapExits: this.trapping.has(pid) },
    );
    return pid;
  }

  /** The process of (app, key) as a supervisor's child handle (started if it has none). */
  handle(app: string, key: string): ProcessHandle {
    return new ProcessHandle(this.table, this.ensure(app, key));
  }

  isAlive(app: string, key: string): boolean {
    return this.table.isAlive(pidOf(app, key));
  }

  /**
   * Carries out what one call of (app, self) asked for, in order. `self` null: a per-request
   * instance, which may only send and signal. Operations of a process that has meanwhile ended
   * (a signal killed it during the call) are dropped, as its own would be in Erlang.
   */
  apply(app: string, self: string | null, effects: readonly MessagingEffect[]): void {
    const me = self === null ? null : pidOf(app, self);
    for (const e of effects) {
      if (e.op !== 'send' && e.op !== 'exit' && (me === null || !this.table.isAlive(me))) continue;
      switch (e.op) {
        case 'send': {
          const to = this.reachable(app, e.to);
          if (to === null) this.counters.dropped++;
          else {
            this.counters.sent++;
            this.table.send(me ?? undefined, to, e.data);
          }
          break;
        }
        case 'exit': {
          const to = pidOf(app, e.to);
          if (this.table.isAlive(to)) this.table.exit(me ?? `${app}/`, to, exitReason(e.reason));
          break;
        }
        case 'link':
          try {
            this.table.link(me!, this.reachable(app, e.to) ?? pidOf(app, e.to));
          } catch (err) {
            // erlang:link/1 to a process that cannot exist: the caller ends with noproc.
            if (!(err instanceof ProcessError)) throw err;
            this.table.terminate(me!, 'noproc');
          }
          break;
        case 'unlink':
          this.table.unlink(me!, pidOf(app, e.to));
          break;
        case 'monitor': {
          const tableRef = this.table.monitor(me!, this.reachable(app, e.to) ?? pidOf(app, e.to));
          this.guestRef.set(tableRef, e.ref);
          const mine = this.monitorsOf.get(me!) ?? new Map<number, MonitorRef>();
          mine.set(e.ref, tableRef);
          this.monitorsOf.set(me!, mine);
          break;
        }
        case 'demonitor': {
          const tableRef = this.monitorsOf.get(me!)?.get(e.ref);
          if (tableRef === undefined) break;
          this.table.demonitor(me!, tableRef);
          this.forgetMonitor(me!, e.ref, tableRef);
          break;
        }
        case 'trap_exit':
          this.table.setTrapExits(me!, e.on);
          if (e.on) this.trapping.add(me!);
          else this.trapping.delete(me!);
          break;
      }
    }
  }

  /** The process of (app, key), started if the app may have it; null when it may not (its DOWN or link says noproc). */
  private reachable(app: string, key: string): Pid | null {
    return this.table.isAlive(pidOf(app, key)) || this.host.admits(app, key) ? this.ensure(app, key) : null;
  }

  /** The instance of (app, key) ended by its own fault (a trap, a limit): links and monitors fire. */
  crashed(app: string, key: string, reason: ExitReason): void {
    const pid = pidOf(app, key);
    this.crashing = pid;
    try {
      this.table.terminate(pid, reason);
    } finally {
      this.crashing = null;
    }
  }

  private receive(app: string, pid: Pid, m: ProcessMessage): void {
    let entry: MailboxMessage;
    if (m.kind === 'message') {
      const depth = this.inbox.get(pid) ?? 0;
      if (depth >= MESSAGING_LIMITS.mailboxDepth) {
        this.counters.dropped++;
        return;
      }
      entry = { kind: 'message', from: m.from === undefined ? null : keyOf(m.from), data: m.payload as Uint8Array };
    } else if (m.kind === 'exit') {
      entry = { kind: 'exit', from: keyOf(m.from), reason: formatExitReason(m.reason) };
    } else {
      const ref = this.guestRef.get(m.ref) ?? 0;
      this.forgetMonitor(pid, ref, m.ref);
      entry = { kind: 'down', from: keyOf(m.pid), ref, reason: formatExitReason(m.reason) };
    }
    this.inbox.set(pid, (this.inbox.get(pid) ?? 0) + 1);
    void this.host.deliver(app, keyOf(pid), entry).finally(() => {
      this.counters.delivered++;
      const left = (this.inbox.get(pid) ?? 1) - 1;
      if (left > 0) this.inbox.set(pid, left);
      else this.inbox.delete(pid);
    });
  }

  private terminated(app: string, pid: Pid, reason: ExitReason): void {
    for (const [guest, tableRef] of this.monitorsOf.get(pid) ?? []) this.forgetMonitor(pid, guest, tableRef);
    this.monitorsOf.delete(pid);
    if (pid === this.crashing) return;
    this.counters.killed++;
    this.host.killed(app, keyOf(pid), reason);
  }

  private forgetMonitor(watcher: Pid, guest: number, tableRef: MonitorRef): void {
    this.guestRef.delete(tableRef);
    const mine = this.monitorsOf.get(watcher);
    mine?.delete(guest);
    if (mine?.size === 0) this.monitorsOf.delete(watcher);
  }
}

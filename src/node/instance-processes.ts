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
 *
 * In a cluster (`network` set) a process may be held by another node. A local process that links
 * to or monitors it does so through a **proxy**: a table process of the same name that stands for
 * it here, so the table's rules still decide everything locally. The remote node records the
 * other half (a proxy of the local process linked to its own, or this node as a watcher). When a
 * process ends, each node with a link or monitor to it is told (`ended`) and ends its proxy with
 * the same reason — which fires the links and monitors there, exactly as for a local process. A
 * node that leaves the cluster ends every proxy of its processes with `noconnection`. Proxies
 * trap exits: the exit signal or DOWN a proxy receives means the process on the other end of its
 * link or monitor ended, and it passes that on to its own node.
 */
import { formatExitReason, plainExitReason, ProcessError, ProcessHandle, ProcessTable, type ExitReason, type MonitorRef, type Pid, type ProcessMessage } from '../supervisor/index.js';
import { MESSAGING_LIMITS, type MailboxMessage, type MessagingEffect } from '../runtime/messaging.js';
import { setsUpWatch, type ProcessNetwork, type ProcessSignal, type ProcessState } from './process-signals.js';

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

/** Who an exit signal is from: a per-request instance has no process, and signals as the app's nameless pid. */
function senderOf(app: string, key: string | null): Pid {
  return key === null ? `${app}/` : pidOf(app, key);
}

function appOf(pid: Pid): string {
  return pid.slice(0, pid.indexOf('/'));
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
  /** Proxies of processes other nodes hold, with the node that holds each. */
  private readonly proxies = new Map<Pid, string>();
  /** Nodes that monitor a local process through a proxy of theirs: told when it ends. */
  private readonly remoteWatchers = new Map<Pid, Set<string>>();
  /** The process whose own crash is being reported: the host already knows, so it is not told again. */
  private crashing: Pid | null = null;
  readonly counters: MessagingCounters = { sent: 0, delivered: 0, dropped: 0, killed: 0 };
  /** The other nodes, in a cluster (src/cluster/remote-mailbox.ts sets it); on one node every process is here. */
  network: ProcessNetwork | null = null;

  constructor(private readonly host: ProcessHost) {}

  /** The process of (app, key), started if it has none; a proxy of it becomes the process when the key is now this node's. */
  ensure(app: string, key: string): Pid {
    const pid = pidOf(app, key);
    if (this.proxies.has(pid)) {
      if ((this.network?.nodeOf(app, key) ?? null) === null) this.becomeLocal(pid);
    } else if (!this.table.isAlive(pid)) {
      this.spawn(app, pid, this.trapping.has(pid));
    }
    return pid;
  }

  /** The process of (app, key) as a supervisor's child handle (started if it has none). */
  handle(app: string, key: string): ProcessHandle {
    return new ProcessHandle(this.table, this.ensure(app, key));
  }

  /** Whether (app, key) has a live process on this node (a proxy does not count). */
  isAlive(app: string, key: string): boolean {
    const pid = pidOf(app, key);
    return this.table.isAlive(pid) && !this.proxies.has(pid);
  }

  /**
   * Carries out what one call of (app, self) asked for, in order. `self` null: a per-request
   * instance, which may only send and signal. Operations of a process that has meanwhile ended
   * (a signal killed it during the call) are dropped, as its own would be in Erlang. An operation
   * on a process another node holds goes there, after everything sent to that node before.
   */
  apply(app: string, self: string | null, effects: readonly MessagingEffect[]): void {
    const me = self === null ? null : pidOf(app, self);
    for (const e of effects) {
      if (e.op !== 'send' && e.op !== 'exit' && (me === null || !this.table.isAlive(me))) continue;
      const remote = e.op === 'demonitor' || e.op === 'trap_exit' ? null : this.locate(app, e.to);
      switch (e.op) {
        case 'send': {
          if (remote !== null) {
            this.counters.sent++;
            void this.host.deliver(app, e.to, { kind: 'message', from: self, data: e.data });
            break;
          }
          const to = this.reachable(app, e.to);
          if (to === null) this.counters.dropped++;
          else {
            this.counters.sent++;
            this.table.send(me ?? undefined, to, e.data);
          }
          break;
        }
        case 'exit': {
          const reason = exitReason(e.reason);
          if (remote !== null) this.network!.signal(remote, { kind: 'exit', app, from: self, to: e.to, reason });
          else if (this.table.isAlive(pidOf(app, e.to))) this.table.exit(senderOf(app, self), pidOf(app, e.to), reason);
          break;
        }
        case 'link':
          if (remote !== null) {
            this.table.link(me!, this.proxy(app, e.to, remote));
            this.network!.signal(remote, { kind: 'link', app, from: self!, to: e.to });
          } else {
            this.linkOrEnd(me!, this.reachable(app, e.to) ?? pidOf(app, e.to));
          }
          break;
        case 'unlink':
          this.table.unlink(me!, pidOf(app, e.to));
          if (remote !== null) this.network!.signal(remote, { kind: 'unlink', app, from: self!, to: e.to });
          break;
        case 'monitor':
          if (remote !== null) {
            this.addMonitor(me!, e.ref, this.proxy(app, e.to, remote));
            this.network!.signal(remote, { kind: 'monitor', app, to: e.to });
          } else {
            this.addMonitor(me!, e.ref, this.reachable(app, e.to) ?? pidOf(app, e.to));
          }
          break;
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

  /**
   * A signal from node `origin` (process-signals.ts). The cluster hands a key's signals to the
   * node that holds the key; `forwarded` when `origin` had sent it to another node, which had
   * moved the key on: `origin` is told where the key is now.
   */
  receiveSignal(origin: string, signal: ProcessSignal, forwarded: boolean): void {
    const network = this.network;
    if (network === null) return;
    const { app } = signal;
    switch (signal.kind) {
      case 'link': {
        const to = this.hosted(app, signal.to);
        if (to === null) return network.signal(origin, { kind: 'ended', app, key: signal.to, reason: 'noproc' });
        this.table.link(this.proxy(app, signal.from, origin), to);
        break;
      }
      case 'unlink': {
        const from = pidOf(app, signal.from);
        if (this.table.isAlive(from)) this.table.unlink(from, pidOf(app, signal.to));
        return;
      }
      case 'monitor': {
        const to = this.hosted(app, signal.to);
        if (to === null) return network.signal(origin, { kind: 'ended', app, key: signal.to, reason: 'noproc' });
        this.watchedBy(to, origin);
        break;
      }
      case 'rewatch': {
        const to = pidOf(app, signal.to);
        if (!this.isAlive(app, signal.to)) return network.signal(origin, { kind: 'ended', app, key: signal.to, reason: 'noproc' });
        this.watchedBy(to, origin);
        break;
      }
      case 'exit':
        if (this.isAlive(app, signal.to)) this.table.exit(senderOf(app, signal.from), pidOf(app, signal.to), signal.reason);
        return;
      case 'adopt':
        this.adopt(app, signal.to, signal.process);
        return;
      case 'ended': {
        const pid = pidOf(app, signal.key);
        if (this.proxies.has(pid)) this.table.terminate(pid, signal.reason);
        return;
      }
      case 'rehomed': {
        const pid = pidOf(app, signal.key);
        if (this.proxies.has(pid)) this.proxies.set(pid, origin);
        return;
      }
    }
    if (forwarded) network.signal(origin, { kind: 'rehomed', app, key: signal.to });
  }

  /** A signal could not reach `node`: a link or monitor it was setting up fires `noconnection` at once, as Erlang's does for a node it cannot reach. */
  undelivered(node: string, signal: ProcessSignal): void {
    if (!setsUpWatch(signal)) return;
    const pid = pidOf(signal.app, signal.to);
    if (this.proxies.get(pid) === node) this.table.terminate(pid, 'noconnection');
  }

  /** Nodes that left the cluster (died, or cut off past their lease): every link and monitor to their processes fires `noconnection`. */
  nodesDown(nodes: readonly string[]): void {
    if (nodes.length === 0) return;
    for (const [pid, watchers] of this.remoteWatchers) {
      for (const n of nodes) watchers.delete(n);
      if (watchers.size === 0) this.remoteWatchers.delete(pid);
    }
    const cut = [...this.proxies].filter(([, node]) => nodes.includes(node)).map(([pid]) => pid);
    for (const pid of cut) this.table.terminate(pid, 'noconnection');
  }

  /**
   * The process of (app, key) as it leaves with its instance for another node (a key move); null
   * when it has none. It stays a process here until `movedAway`.
   */
  export(app: string, key: string): ProcessState | null {
    const pid = pidOf(app, key);
    if (this.network === null || !this.isAlive(app, key)) return null;
    const self = this.network.self;
    const nodeOf = (p: Pid) => this.proxies.get(p) ?? self;
    const monitors: ProcessState['monitors'] = [];
    for (const [ref, tableRef] of this.monitorsOf.get(pid) ?? []) {
      const target = this.table.monitorTarget(tableRef);
      if (target !== undefined) monitors.push({ ref, key: keyOf(target), node: nodeOf(target) });
    }
    return {
      trapExits: this.trapping.has(pid),
      links: this.table.linksOf(pid).map((p) => ({ key: keyOf(p), node: nodeOf(p) })),
      monitors,
      // This node too: its own processes keep their links and monitors to the key, through a proxy.
      watchers: [...(this.remoteWatchers.get(pid) ?? []), self],
    };
  }

  /**
   * The instance of (app, key) went to `node` (it has the state `export` gave): the process here
   * becomes a proxy of it, so this node's links and monitors to it stay and follow it there.
   */
  movedAway(app: string, key: string, node: string): void {
    if (this.isAlive(app, key)) this.becomeProxy(pidOf(app, key), node);
  }

  /**
   * A process arriving from another node, with its instance or alone: it is linked and monitors
   * here as it was there (through proxies of the processes other nodes hold, which are asked to
   * watch it again), and every node with a link or monitor to it learns where it is now.
   */
  adopt(app: string, key: string, state: ProcessState): void {
    const network = this.network;
    if (network === null) return;
    const pid = pidOf(app, key);
    if (this.proxies.has(pid)) this.becomeLocal(pid);
    else if (!this.table.isAlive(pid)) this.spawn(app, pid, false);
    if (state.trapExits) {
      this.trapping.add(pid);
      this.table.setTrapExits(pid, true);
    }
    // Watchers first: should a link below take the process down, they hear of its end.
    const tell = new Set<string>();
    for (const node of state.watchers) {
      if (node === network.self) continue;
      this.watchedBy(pid, node);
      tell.add(node);
    }
    for (const link of state.links) {
      if (link.node === network.self) {
        this.linkOrEnd(pid, pidOf(app, link.key));
      } else {
        this.table.link(pid, this.proxy(app, link.key, link.node));
        tell.add(link.node);
      }
      if (!this.table.isAlive(pid)) return; // a partner that ended meanwhile took it down (noproc)
    }
    for (const m of state.monitors) {
      const here = m.node === network.self;
      this.addMonitor(pid, m.ref, here ? pidOf(app, m.key) : this.proxy(app, m.key, m.node));
      if (!here) network.signal(m.node, { kind: 'rewatch', app, to: m.key });
    }
    for (const node of tell) network.signal(node, { kind: 'rehomed', app, key });
  }

  /**
   * After a membership change: a process here that has no instance (named by a link or monitor,
   * never used) and whose key another node now owns goes to that node, as a key move would take
   * it with its instance.
   */
  handOverStrays(): void {
    const network = this.network;
    if (network === null) return;
    for (const pid of this.table.pids()) {
      if (this.proxies.has(pid)) continue;
      const app = appOf(pid);
      const key = keyOf(pid);
      const node = network.nodeOf(app, key);
      if (node === null) continue;
      const process = this.export(app, key)!;
      this.becomeProxy(pid, node);
      network.signal(node, { kind: 'adopt', app, to: key, process });
    }
  }

  private spawn(app: string, pid: Pid, trapExits: boolean): void {
    this.table.spawn(
      {
        receive: (m) => this.receive(app, pid, m),
        terminated: (reason) => this.terminated(app, pid, reason),
      },
      { pid, trapExits },
    );
  }

  /** The node that holds (app, key) when it is not this one: a proxy's, or the cluster's answer. */
  private locate(app: string, key: string): string | null {
    return this.proxies.get(pidOf(app, key)) ?? this.network?.nodeOf(app, key) ?? null;
  }

  /** The proxy of (app, key), held by `node`; a process this node holds itself stays as it is. */
  private proxy(app: string, key: string, node: string): Pid {
    const pid = pidOf(app, key);
    if (this.proxies.has(pid)) this.proxies.set(pid, node);
    else if (!this.table.isAlive(pid)) {
      this.spawn(app, pid, true);
      this.proxies.set(pid, node);
    }
    return pid;
  }

  /** The process of (app, key), started if the app may have it; null when it may not (its DOWN or link says noproc). */
  private reachable(app: string, key: string): Pid | null {
    return this.table.isAlive(pidOf(app, key)) || this.host.admits(app, key) ? this.ensure(app, key) : null;
  }

  /** The process of (app, key) for a signal the cluster says is this node's: a proxy of it becomes the process. */
  private hosted(app: string, key: string): Pid | null {
    const pid = pidOf(app, key);
    if (this.proxies.has(pid)) this.becomeLocal(pid);
    return this.reachable(app, key);
  }

  /** erlang:link/1: linking to a process that cannot exist ends `me` with noproc (unless it traps exits: then an EXIT). */
  private linkOrEnd(me: Pid, other: Pid): void {
    try {
      this.table.link(me, other);
    } catch (err) {
      if (!(err instanceof ProcessError)) throw err;
      this.table.terminate(me, 'noproc');
    }
  }

  private addMonitor(watcher: Pid, guest: number, target: Pid): void {
    const tableRef = this.table.monitor(watcher, target);
    this.guestRef.set(tableRef, guest);
    const mine = this.monitorsOf.get(watcher) ?? new Map<number, MonitorRef>();
    mine.set(guest, tableRef);
    this.monitorsOf.set(watcher, mine);
  }

  private watchedBy(pid: Pid, node: string): void {
    const watchers = this.remoteWatchers.get(pid) ?? new Set<string>();
    watchers.add(node);
    this.remoteWatchers.set(pid, watchers);
  }

  /** The key is this node's now: its proxy is its process, with the trap flag this node knows for it. */
  private becomeLocal(pid: Pid): void {
    this.proxies.delete(pid);
    this.table.setTrapExits(pid, this.trapping.has(pid));
  }

  /**
   * The key went to `node`: its process here becomes a proxy. Its links and monitors stay in the
   * table: those to local processes are this node's half of them, those to other proxies pass on
   * an end that reaches this node before the other nodes have learnt where the key went.
   */
  private becomeProxy(pid: Pid, node: string): void {
    this.proxies.set(pid, node);
    this.table.setTrapExits(pid, true);
    this.trapping.delete(pid);
    this.remoteWatchers.delete(pid);
    for (const tableRef of this.monitorsOf.get(pid)?.values() ?? []) this.guestRef.delete(tableRef);
    this.monitorsOf.delete(pid);
  }

  private receive(app: string, pid: Pid, m: ProcessMessage): void {
    const home = this.proxies.get(pid);
    if (home !== undefined) {
      // Messages to another node's process never enter the table (apply sends them there); what
      // reaches a proxy is the end of a process on the other side of one of its links or monitors.
      if (m.kind === 'message') return;
      const ended = m.kind === 'exit' ? m.from : m.pid;
      this.network?.signal(home, { kind: 'ended', app, key: keyOf(ended), reason: plainExitReason(m.reason) });
      return;
    }
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
    if (this.proxies.delete(pid)) return; // a proxy holds nothing and has no instance here
    for (const [guest, tableRef] of this.monitorsOf.get(pid) ?? []) this.forgetMonitor(pid, guest, tableRef);
    this.monitorsOf.delete(pid);
    const watchers = this.remoteWatchers.get(pid);
    this.remoteWatchers.delete(pid);
    for (const node of watchers ?? []) this.network?.signal(node, { kind: 'ended', app, key: keyOf(pid), reason: plainExitReason(reason) });
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

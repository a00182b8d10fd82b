/**
 * What happened during a chaos run, as it happened: every fault with its window (from injection
 * until the cluster converged again, plus a second), every deploy and rollback with its outcome,
 * every answer the clients got, and the violations found on the way. `expected(app)` is the
 * release tag the store must hold and every live node must serve once changes settle: that of the
 * last acknowledged change, or, for a change whose outcome the client could not learn (its node
 * died, etcd was paused), of what the store says it became.
 */
import type { VersionedApp } from './apps.js';

export type FaultKind = 'scheduler-kill' | 'node-kill' | 'node-restart' | 'etcd-pause' | 'deploy' | 'rollback';

export interface Fault {
  kind: FaultKind;
  detail: string;
  start: number;
  /** When the fault was over (process killed and noticed, restarted and ready, etcd resumed, change answered). */
  lifted?: number;
  /** From `lifted` until every live node served every app as expected; null: not within the probe's bound. */
  convergenceMs?: number | null;
  /** Another fault's window overlapped this one's convergence: its time is not this fault's alone. */
  overlapped?: boolean;
  /**
   * From the last moment any fault was still on (this one or another lifted before the cluster
   * converged: a scheduler held by the stall app, etcd paused) until it converged: what the 5 s
   * bound applies to. Equal to `convergenceMs` when nothing overlapped.
   */
  sinceQuietMs?: number;
  /** End of the window in which failures are put down to this fault. */
  end?: number;
}

export interface Change {
  app: VersionedApp;
  kind: 'deploy' | 'rollback';
  /** The release tag the change asked for, and the one in force before it. */
  target: string;
  before: string;
  sentAt: number;
  resolvedAt?: number;
  /** acked: 200 and succeeded; refused: answered, not done; unknown: no answer (the store decides). */
  outcome?: 'acked' | 'refused' | 'unknown';
  /** The tag in force after it, per the store. */
  result?: string;
}

export interface Sample {
  app: VersionedApp;
  /** The per-key app's key; null for the replicas app. */
  key: string | null;
  /** The node the request was sent to (it may have forwarded it). */
  node: string;
  sentAt: number;
  doneAt: number;
  status: number;
  code: string | null;
  tag: string | null;
  count: number | null;
  /** Sent by a convergence probe rather than the steady client load. */
  probe: boolean;
}

export type Invariant = 'acknowledged change lost' | 'mixed releases' | 'convergence over 5 s' | 'request lost to a migration' | 'unexplained failure' | 'state lost' | 'one instance per key';

export interface Violation {
  invariant: Invariant;
  at: number;
  detail: string;
}

/** A switch may take this long to reach every node; afterwards only the new release may answer. */
export const CONVERGE_MS = 5000;
/** Violations of one invariant printed as they are found; the summary counts them all. */
export const PRINTED_PER_INVARIANT = 5;
/** A fault's window lasts this long past its convergence (answers in flight then still count). */
const WINDOW_TAIL_MS = 1000;

export class Ledger {
  readonly faults: Fault[] = [];
  readonly changes: Change[] = [];
  readonly samples: Sample[] = [];
  readonly violations: Violation[] = [];
  private readonly initial = new Map<VersionedApp, string>();

  constructor(readonly startedAt = Date.now()) {}

  setInitial(app: VersionedApp, tag: string): void {
    this.initial.set(app, tag);
  }

  /** Everything recorded, as JSON (`--record`); `Ledger.replay` reads it back. */
  toRecord(meta: Record<string, unknown>): string {
    return JSON.stringify({ ...meta, startedAt: this.startedAt, initial: Object.fromEntries(this.initial), faults: this.faults, changes: this.changes, violations: this.violations, samples: this.samples });
  }

  /** A ledger as a run recorded it, for checking it again (`--replay`): violations found live are not carried over. */
  static replay(record: string): Ledger {
    const r = JSON.parse(record) as { startedAt: number; initial: Record<VersionedApp, string>; faults: Fault[]; changes: Change[]; samples: Sample[] };
    const ledger = new Ledger(r.startedAt);
    for (const [app, tag] of Object.entries(r.initial)) ledger.setInitial(app as VersionedApp, tag);
    ledger.faults.push(...r.faults);
    ledger.changes.push(...r.changes);
    ledger.samples.push(...r.samples);
    return ledger;
  }

  /** The tag in force at `t`: the result of the last change resolved by then. */
  tagAt(app: VersionedApp, t: number): string {
    let tag = this.initial.get(app)!;
    for (const c of this.changes) if (c.app === app && c.resolvedAt !== undefined && c.resolvedAt <= t) tag = c.result!;
    return tag;
  }

  expected(app: VersionedApp): string {
    return this.tagAt(app, Infinity);
  }

  /** Tags that may answer for `app` now: the expected one and those of changes not yet settled. */
  allowedNow(app: VersionedApp): Set<string> {
    const now = Date.now();
    return this.allowedBetween(app, now, now);
  }

  /**
   * Tags that may answer a request for `app` sent at `sent` and answered at `done`: the one in force
   * CONVERGE_MS before it was sent, and both sides of every change in flight or settled within
   * CONVERGE_MS of it.
   */
  allowedBetween(app: VersionedApp, sent: number, done: number): Set<string> {
    const allowed = new Set([this.tagAt(app, sent - CONVERGE_MS)]);
    for (const c of this.changes) {
      if (c.app !== app || c.sentAt > done || (c.resolvedAt ?? Infinity) + CONVERGE_MS < sent) continue;
      allowed.add(c.before).add(c.target);
      if (c.result) allowed.add(c.result);
    }
    return allowed;
  }

  changeInFlight(app: VersionedApp): boolean {
    return this.changes.some((c) => c.app === app && c.resolvedAt === undefined);
  }

  beginFault(kind: FaultKind, detail: string): Fault {
    const f: Fault = { kind, detail, start: Date.now() };
    this.faults.push(f);
    return f;
  }

  /** Records the convergence after `f` and closes its window. */
  endFault(f: Fault, convergenceMs: number | null): void {
    f.lifted ??= Date.now();
    f.convergenceMs = convergenceMs;
    f.end = (convergenceMs === null ? Date.now() : f.lifted + convergenceMs) + WINDOW_TAIL_MS;
    f.overlapped = this.faults.some((o) => o !== f && o.start <= f.end! && (o.end ?? Infinity) >= f.start);
    if (convergenceMs === null) return this.violate('convergence over 5 s', `${f.kind} (${f.detail}): the cluster did not converge within the probe's bound`);
    const settled = f.lifted + convergenceMs;
    // A fault that was still on while this one converged holds the cluster back too: the bound
    // counts from the last one lifted before the cluster converged.
    const quietFrom = Math.max(f.lifted, ...this.faults.filter((o) => o.start <= settled && o.lifted !== undefined && o.lifted <= settled).map((o) => o.lifted!));
    f.sinceQuietMs = settled - quietFrom;
    if (f.sinceQuietMs > CONVERGE_MS) {
      const held = quietFrom > f.lifted ? ` (${convergenceMs} ms after it was over; another fault was on until ${this.t(quietFrom)})` : '';
      this.violate('convergence over 5 s', `${f.kind} (${f.detail}): converged ${f.sinceQuietMs} ms after the last fault was over${held}`);
    }
  }

  beginChange(app: VersionedApp, kind: Change['kind'], target: string): Change {
    const c: Change = { app, kind, target, before: this.expected(app), sentAt: Date.now() };
    this.changes.push(c);
    return c;
  }

  /** Settles a change with what the store holds after it, checking that against its outcome. */
  resolveChange(c: Change, outcome: NonNullable<Change['outcome']>, storeTag: string): void {
    c.outcome = outcome;
    c.result = storeTag;
    c.resolvedAt = Date.now();
    if (outcome === 'acked' && storeTag !== c.target) this.violate('acknowledged change lost', `${c.kind} of ${c.app} to ${c.target} was acknowledged, but the store holds ${storeTag}`);
    if (outcome !== 'acked' && storeTag !== c.before && storeTag !== c.target) this.violate('acknowledged change lost', `after an unacknowledged ${c.kind} of ${c.app} (${c.before} → ${c.target}) the store holds ${storeTag}`);
  }

  record(s: Sample): void {
    this.samples.push(s);
  }

  /** Records a violation; the first few of each invariant are printed at once. */
  violate(invariant: Invariant, detail: string): void {
    this.violations.push({ invariant, at: Date.now(), detail });
    const seen = this.violations.filter((v) => v.invariant === invariant).length;
    if (seen <= PRINTED_PER_INVARIANT) process.stderr.write(`chaos: VIOLATION ${invariant}: ${detail}\n`);
  }

  /** Seconds since the run started, for messages. */
  t(at: number): string {
    return `t+${((at - this.startedAt) / 1000).toFixed(1)}s`;
  }
}

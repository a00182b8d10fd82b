/**
 * The end of a chaos run: every answer checked against the ledger's changes and faults, and the
 * summary. Checked here, over the whole record (a change's outcome may be learnt after answers
 * that depend on it): no answer from a release other than those allowed at its time (mixed
 * releases: a stale one after a switch settled, or a key flipping back with no change asking for
 * it); each failed request put down to the fault whose window it fell in, and counted as lost to a
 * migration when only a rejoin's key moves or a deploy's switch were under way, or when it says
 * its key kept moving; per-key counts that went back with no kill to explain it (state lost); and
 * keys answered by two copies at once.
 */
import { percentile, sortedCopy } from '../_harness.js';
import { CONVERGE_MS, PRINTED_PER_INVARIANT, type Fault, type FaultKind, type Ledger, type Sample } from './ledger.js';

/** Which fault a failure is put down to, when windows overlap: the one that explains it best first. */
const CAUSE_ORDER: FaultKind[] = ['node-kill', 'scheduler-kill', 'etcd-pause', 'node-restart', 'deploy', 'rollback'];
/** Faults whose failures are the platform's to avoid: keys moved live on a rejoin, instances handed over by a deploy. */
const MIGRATIONS: ReadonlySet<FaultKind> = new Set(['node-restart', 'deploy', 'rollback']);
/** Answers that say the key or replica moved under the request (src/cluster/key-router.ts, replica-router.ts). */
const MOVING_CODES: ReadonlySet<string> = new Set(['key_moving', 'replica_moving']);
/** Faults that lose instance memory newer than its last checkpoint or snapshot, by design. */
const STATE_LOSING: ReadonlySet<FaultKind> = new Set(['node-kill', 'scheduler-kill']);
function overlapping(ledger: Ledger, from: number, to: number): Fault[] {
  return ledger.faults.filter((f) => f.start <= to && (f.end ?? Infinity) >= from);
}

function checkVersions(ledger: Ledger): void {
  for (const s of ledger.samples) {
    if (s.status !== 200 || s.tag === null) continue;
    const allowed = ledger.allowedBetween(s.app, s.sentAt, s.doneAt);
    if (!allowed.has(s.tag)) {
      ledger.violate('mixed releases', `${ledger.t(s.sentAt)} ${s.app}${s.key ? ` key ${s.key}` : ''} via ${s.node} answered ${s.tag}; allowed then: ${[...allowed].join(', ')} (a switch settles within ${CONVERGE_MS} ms)`);
    }
  }
}

/**
 * One copy of a key's instance, seen through its counts: each answer from it counts one more than
 * its last, or more by the requests that failed in between (one may have been carried out anyway).
 */
interface Copy {
  last: Sample;
}

/**
 * Per key of the per-key app, in the order its client loop sent them: release flips, copies of
 * the key started afresh or from an old checkpoint (its count went back), and copies serving at
 * the same time (an older copy answers again after a newer one took over: a split key).
 */
function checkKeys(ledger: Ledger): { regressions: Record<string, number>; splits: number } {
  const regressions: Record<string, number> = {};
  let splits = 0;
  const byKey = new Map<string, Sample[]>();
  for (const s of ledger.samples) if (s.key !== null && !s.probe) (byKey.get(s.key) ?? byKey.set(s.key, []).get(s.key)!).push(s);
  for (const [key, samples] of byKey) {
    const copies = new Map<string, Copy[]>(); // per release tag, the copies seen, the one answering lately last
    let prev: Sample | undefined;
    let failed = 0; // failed requests of this key so far
    const failedAt = new Map<Sample, number>();
    for (const s of samples) {
      if (s.status !== 200 || s.tag === null) {
        failed++;
        continue;
      }
      failedAt.set(s, failed);
      if (prev && prev.tag !== s.tag && !changeTowards(ledger, s, prev)) {
        ledger.violate('mixed releases', `${ledger.t(s.sentAt)} key ${key} went from ${prev.tag} back to ${s.tag} with no change towards ${s.tag} under way`);
      }
      prev = s;
      const seen = copies.get(s.tag!) ?? copies.set(s.tag!, []).get(s.tag!)!;
      const latest = seen[seen.length - 1];
      const continues = (c: Copy) => s.count! > c.last.count! && s.count! - c.last.count! <= 1 + failed - failedAt.get(c.last)!;
      const from = [...seen].reverse().find(continues);
      if (from !== undefined && from !== latest) {
        splits++;
        ledger.violate('one instance per key', `${ledger.t(s.sentAt)} key ${key} (${s.tag}) via ${s.node} counted ${s.count}, continuing a copy last seen at ${from.last.count} (${ledger.t(from.last.sentAt)}) after another copy answered ${latest.last.count} (${ledger.t(latest.last.sentAt)}): two copies serve the key`);
        seen.splice(seen.indexOf(from), 1);
        seen.push(from);
        from.last = s;
      } else if (from !== undefined || (latest !== undefined && s.count! > latest.last.count!)) {
        latest.last = s; // the same copy (a gap beyond the failures is a request counted twice, not checked here)
      } else {
        if (latest !== undefined) {
          // Not above the copy that answered last: a copy started afresh or from an old checkpoint.
          const causes = overlapping(ledger, latest.last.doneAt, s.sentAt).filter((f) => STATE_LOSING.has(f.kind));
          const cause = causes.length ? causes[0].kind : 'none';
          regressions[cause] = (regressions[cause] ?? 0) + 1;
          if (!causes.length) ledger.violate('state lost', `${ledger.t(s.sentAt)} key ${key} (${s.tag}) via ${s.node} counted ${s.count} after ${latest.last.count}, with no kill in between`);
        }
        seen.push({ last: s });
      }
    }
  }
  return { regressions, splits };
}

/** A change to `s.tag` was under way (or settled within CONVERGE_MS) between `prev` and `s`. */
function changeTowards(ledger: Ledger, s: Sample, prev: Sample): boolean {
  return ledger.changes.some((c) => c.app === s.app && (c.target === s.tag || c.result === s.tag) && c.sentAt <= s.doneAt && (c.resolvedAt ?? Infinity) + CONVERGE_MS >= prev.sentAt);
}

export interface FailureCause {
  count: number;
  codes: Record<string, number>;
}

function classifyFailures(ledger: Ledger): Record<string, FailureCause> {
  const causes: Record<string, FailureCause> = {};
  for (const s of ledger.samples) {
    if (s.probe || s.status === 200) continue;
    const kinds = new Set(overlapping(ledger, s.sentAt, s.doneAt).map((f) => f.kind));
    const kind = CAUSE_ORDER.find((k) => kinds.has(k));
    // A key or replica that kept moving while its request was forwarded is a migration's failure, whatever else went on.
    const moving = MOVING_CODES.has(s.code ?? '');
    const cause = kind === undefined ? (moving ? 'migration' : 'unexplained') : moving || MIGRATIONS.has(kind) ? `migration (${kind})` : kind;
    const c = (causes[cause] ??= { count: 0, codes: {} });
    c.count++;
    const code = s.code ?? `http_${s.status}`;
    c.codes[code] = (c.codes[code] ?? 0) + 1;
    const what = `${ledger.t(s.sentAt)} ${s.app}${s.key ? ` key ${s.key}` : ''} via ${s.node}: ${s.status} ${code}`;
    if (moving || (kind !== undefined && MIGRATIONS.has(kind))) ledger.violate('request lost to a migration', `${what}${kind ? ` (during a ${kind})` : ''}`);
    else if (kind === undefined) ledger.violate('unexplained failure', what);
  }
  return causes;
}

export function verdict(ledger: Ledger, meta: Record<string, unknown>): Record<string, unknown> {
  const live = ledger.violations.length;
  checkVersions(ledger);
  const { regressions, splits } = checkKeys(ledger);
  const failures = classifyFailures(ledger);
  const converged = ledger.faults.filter((f) => typeof f.convergenceMs === 'number');
  const ms = sortedCopy(converged.map((f) => f.convergenceMs!));
  const count = <T>(xs: T[], key: (x: T) => string) => xs.reduce<Record<string, number>>((a, x) => ((a[key(x)] = (a[key(x)] ?? 0) + 1), a), {});
  const load = ledger.samples.filter((s) => !s.probe);
  return {
    ...meta,
    faults_injected: count(ledger.faults, (f) => f.kind),
    changes: count(ledger.changes, (c) => `${c.kind} ${c.outcome ?? 'unsettled'}`),
    requests: { total: load.length, ok: load.filter((s) => s.status === 200).length, failed: load.filter((s) => s.status !== 200).length },
    failures_by_cause: failures,
    convergence_ms: {
      measured: ms.length,
      p50: percentile(ms, 50),
      max: ms.length ? ms[ms.length - 1] : null,
      over_5s: converged.filter((f) => f.convergenceMs! > CONVERGE_MS).map((f) => `${f.kind} ${f.detail}: ${f.convergenceMs} ms${f.sinceQuietMs !== f.convergenceMs ? ` (${f.sinceQuietMs} ms after the last overlapping fault was over)` : ''}`),
      since_quiet_max: converged.length ? Math.max(...converged.map((f) => f.sinceQuietMs ?? f.convergenceMs!)) : null,
      by_kind: Object.fromEntries([...new Set(converged.map((f) => f.kind))].map((k) => [k, converged.filter((f) => f.kind === k).map((f) => f.convergenceMs)])),
    },
    per_key_count_regressions: regressions,
    per_key_split_answers: splits,
    violations: count(ledger.violations, (v) => v.invariant),
    violations_found_live: live,
    violation_examples: [...new Set(ledger.violations.map((v) => v.invariant))].flatMap((i) =>
      ledger.violations.filter((v) => v.invariant === i).slice(0, PRINTED_PER_INVARIANT).map((v) => `${i}: ${v.detail}`)),
  };
}

/** How deployments look in a terminal. */
import type { DeploymentRecord, PhaseRecord } from '../../control/registry.js';

const MARK: Record<PhaseRecord['status'], string> = { ok: '✓', failed: '✗', skipped: '-', running: '…' };

export function printPhase(p: PhaseRecord): void {
  process.stdout.write(`  ${MARK[p.status]} ${p.name.padEnd(10)} ${String(p.ms.toFixed(1)).padStart(8)} ms  ${p.detail ?? ''}\n`);
}

export function printDeployment(d: DeploymentRecord): void {
  const from = d.from === null ? 'nothing' : `release ${d.from}`;
  process.stdout.write(`${d.id}  ${d.kind} ${from} → release ${d.to}  ${d.status}  ${d.startedAt}${d.reason ? `\n  reason: ${d.reason}` : ''}\n`);
  for (const p of d.phases) printPhase(p);
}

/** A deployment's phases on one line, for a loop that deploys on every save: `copy ✓  start ✓  …  (12.3 ms)`. */
export function formatPhasesCompact(d: DeploymentRecord): string {
  const total = d.phases.reduce((sum, p) => sum + p.ms, 0);
  return `${d.phases.map((p) => `${p.name} ${MARK[p.status]}`).join('  ')}  (${total.toFixed(1)} ms)`;
}

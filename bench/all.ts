/**
 * all: every other benchmark, each in a fresh process with a time limit (bench/_bench-process.ts),
 * one after another so that none measures the others' load; then docs/benchmarks.md with its
 * charts (bench/_report.ts), and the combined JSON on stdout. A bench that fails or overruns is
 * reported with its error, and the others still run.
 *
 * FLICK_BENCH_QUICK=1 (or --quick): every bench in quick mode, a smoke run.
 * FLICK_BENCH_ONLY=a,b: only those benches (the report then has only their rows).
 * FLICK_BENCH_TIMEOUT_S: the time limit of each bench (default 20 min, 6 min in quick mode).
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { availableBenches } from '../src/cli/bench-process.js';
import { installRoot } from '../src/host/install-root.js';
import { runBench, type BenchOutcome } from './_bench-process.js';
import { emit, progress, quick } from './_harness.js';
import { writeReport } from './_report.js';

/** The targets first, as DESIGN.md lists them; then the peers; any bench not named here runs last. */
const ORDER = ['spawn', 'restore', 'density', 'metering', 'firstreq', 'rps', 'js', 'deploy', 'migrate', 'connections', 'neighbours', 'erlang', 'node-workers', 'crun'];
const TIMEOUT_S = Number(process.env.FLICK_BENCH_TIMEOUT_S) || (quick ? 6 * 60 : 20 * 60);

const only = process.env.FLICK_BENCH_ONLY?.split(',').filter(Boolean);
const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
const names = availableBenches()
  .filter((n) => n !== 'all' && (!only || only.includes(n)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const startedAt = new Date();
const loadStart = loadavg()[0];
const outcomes: BenchOutcome[] = [];
for (const [i, name] of names.entries()) {
  progress(`[${i + 1}/${names.length}] ${name} (limit ${TIMEOUT_S} s)`);
  const o = await runBench(name, quick ? ['--quick'] : [], TIMEOUT_S * 1000);
  progress(`[${i + 1}/${names.length}] ${name}: ${o.ok ? 'done' : `FAILED: ${o.error}`} in ${o.seconds} s`);
  outcomes.push(o);
}
const loadEnd = loadavg()[0];
const docsDir = join(installRoot, 'docs');
const files = writeReport(docsDir, outcomes, { quick, startedAt, cores: availableParallelism(), loadStart, loadEnd, node: process.version });
progress(`wrote ${files.map((f) => join('docs', f)).join(', ')}`);

emit({
  bench: 'all',
  quick,
  started_at: startedAt.toISOString(),
  load_average_start: loadStart,
  load_average_end: loadEnd,
  report: files.map((f) => join('docs', f)),
  failed: Object.fromEntries(outcomes.flatMap((o) => (o.ok ? [] : [[o.name, o.error]]))),
  seconds: Object.fromEntries(outcomes.map((o) => [o.name, o.seconds])),
  results: Object.fromEntries(outcomes.flatMap((o) => (o.ok ? [[o.name, o.result]] : []))),
});

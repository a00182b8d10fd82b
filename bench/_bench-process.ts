/**
 * Runs another benchmark in a fresh process, as `flick bench NAME --json` does, with a time limit:
 * `flick bench all` runs every bench this way, and the peer benches run the density bench this way
 * for a fresh process per memory measurement. A bench that fails or overruns is an outcome with
 * its error, never an exception, so one bench cannot take the others' figures with it.
 */
import { spawn } from 'node:child_process';
import { benchProcessArgs, benchResult } from '../src/cli/bench-process.js';

export type BenchOutcome =
  | { name: string; ok: true; seconds: number; result: Record<string, unknown> }
  | { name: string; ok: false; seconds: number; error: string };

/** Lines of a bench's stderr kept for its error: enough to reach back past a stack trace. */
const STDERR_TAIL_LINES = 40;
const KILL_GRACE_MS = 5000;

const running = new Set<number>();
let cleanupInstalled = false;

/** A bench runs in its own process group (its flick nodes, workerd, wrk…): a timeout or our own exit ends the whole group. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => running.forEach((pid) => killGroup(pid, 'SIGKILL')));
  // 'exit' listeners do not run on a signal's default action: exit properly so they do.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
}

/** What a failed bench said: its thrown error's line (`Error: …`, above the stack), else its last lines. */
function failureText(tail: string[]): string {
  const thrown = tail.find((l) => /^\w*Error\b/.test(l.trim()));
  return thrown?.trim() ?? tail.slice(-3).join(' | ');
}

/** Runs bench `name` with `args`; its progress goes to our stderr. */
export function runBench(name: string, args: string[], timeoutMs: number): Promise<BenchOutcome> {
  installCleanup();
  const t0 = performance.now();
  const child = spawn(process.execPath, benchProcessArgs(name, args), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid!;
  running.add(pid);
  let stdout = '';
  let stderrTail: string[] = [];
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    process.stderr.write(c);
    stderrTail = [...stderrTail, ...c.toString().split('\n').filter(Boolean)].slice(-STDERR_TAIL_LINES);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL'); // whatever the bench left behind
      running.delete(pid);
      const seconds = Math.round((performance.now() - t0) / 100) / 10;
      const fail = (error: string) => resolve({ name, ok: false, seconds, error });
      if (timedOut) return fail(`timed out after ${Math.round(timeoutMs / 1000)} s (stopped); last output: ${stderrTail.slice(-3).join(' | ')}`);
      if (code !== 0) return fail(`exit ${code ?? signal}: ${failureText(stderrTail)}`);
      try {
        resolve({ name, ok: true, seconds, result: benchResult(stdout) });
      } catch (e) {
        fail((e as Error).message);
      }
    });
  });
}

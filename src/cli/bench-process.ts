/**
 * How a benchmark runs: `bench/NAME.ts` compiled into dist, started in a fresh node with the flags
 * the node itself runs with, printing progress on stderr and one JSON object last on stdout.
 * Shared by `flick bench NAME` and by `flick bench all` (bench/all.ts), which runs the others.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INSTANCE_HOST_FLAGS } from '../host/v8-flags.js';
import { benchDistDir } from '../host/install-root.js';

export function availableBenches(): string[] {
  if (!existsSync(benchDistDir)) return [];
  return readdirSync(benchDistDir)
    .filter((f) => f.endsWith('.js') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Arguments for `process.execPath` that run benchmark `name` (extra `args` go to the bench). */
export function benchProcessArgs(name: string, args: string[] = []): string[] {
  return [...INSTANCE_HOST_FLAGS, '--expose-gc', join(benchDistDir, `${name}.js`), ...args];
}

/** The result a benchmark printed: the last line of its stdout that is a JSON object. */
export function benchResult(stdout: string): Record<string, unknown> {
  const out = stdout.trim();
  const last = out.slice(out.lastIndexOf('\n{') + 1);
  if (!last.startsWith('{')) throw new Error(`no JSON result on stdout (it ended with: ${JSON.stringify(out.slice(-200))})`);
  return JSON.parse(last) as Record<string, unknown>;
}

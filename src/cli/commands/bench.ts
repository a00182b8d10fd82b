/**
 * `flick bench NAME --json`: runs one benchmark from `bench/` in a fresh process with the flags the
 * node itself runs with, and prints its JSON object. Each benchmark stops by itself.
 */
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { CliError } from '../errors.js';
import { availableBenches, benchProcessArgs, benchResult } from '../bench-process.js';

export function register(program: Command): void {
  program
    .command('bench')
    .argument('<name>', 'benchmark to run (see the list below)')
    .option('--json', 'print only the JSON result')
    .option('--quick', 'fewer repetitions (for smoke tests; figures are less stable)')
    .description('run a benchmark and print its figures')
    .addHelpText('after', () => `\nBenchmarks: ${availableBenches().join(', ') || '(none built: run npm run build)'}\n\nExamples:\n  $ npx flick bench spawn --json\n  $ npx flick bench all --json    (every benchmark, then docs/benchmarks.md and its charts)\n`)
    .action((name: string, opts: { json?: boolean; quick?: boolean }) => {
      const names = availableBenches();
      if (!names.includes(name)) {
        throw new CliError(`there is no benchmark named '${name}'`, `choose one of: ${names.join(', ')}`, 2);
      }
      const r = spawnSync(process.execPath, benchProcessArgs(name, opts.quick ? ['--quick'] : []), { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new CliError(`benchmark '${name}' failed (exit ${r.status ?? r.signal})`, 'see the messages above');
      const result = benchResult(r.stdout.toString());
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
    });
}

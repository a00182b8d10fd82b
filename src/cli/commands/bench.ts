/**
 * `flick bench NAME --json`: runs one benchmark from `bench/` in a fresh process with the flags the
 * node itself runs with, and prints its JSON object. Each benchmark stops by itself.
 */
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { INSTANCE_HOST_FLAGS } from '../../host/v8-flags.js';
import { benchDistDir } from '../../host/install-root.js';


export function availableBenches(): string[] {
  if (!existsSync(benchDistDir)) return [];
  return readdirSync(benchDistDir)
    .filter((f) => f.endsWith('.js') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export function register(program: Command): void {
  program
    .command('bench')
    .argument('<name>', 'benchmark to run (see the list below)')
    .option('--json', 'print only the JSON result')
    .option('--quick', 'fewer repetitions (for smoke tests; figures are less stable)')
    .description('run a benchmark and print its figures')
    .addHelpText('after', () => `\nBenchmarks: ${availableBenches().join(', ') || '(none built: run npm run build)'}\n\nExample:\n  $ npx flick bench spawn --json\n`)
    .action((name: string, opts: { json?: boolean; quick?: boolean }) => {
      const names = availableBenches();
      if (!names.includes(name)) {
        throw new CliError(`there is no benchmark named '${name}'`, `choose one of: ${names.join(', ')}`, 2);
      }
      const args = [...INSTANCE_HOST_FLAGS, '--expose-gc', join(benchDistDir, `${name}.js`)];
      if (opts.quick) args.push('--quick');
      const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
      const out = r.stdout.toString().trim();
      if (r.status !== 0) throw new CliError(`benchmark '${name}' failed (exit ${r.status ?? r.signal})`, 'see the messages above');
      const result = JSON.parse(out.slice(out.lastIndexOf('\n{') + 1)) as Record<string, unknown>;
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
    });
}

/** `flick doctor`: checks the host and prints each problem with the command that fixes it. */
import type { Command } from 'commander';
import { runHostChecks } from '../../host/checks.js';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from '../defaults.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check this machine for what flick needs, and say how to fix each problem')
    .option('--port <port>', 'port the node will listen on', String(DEFAULT_PORT))
    .option('--data <dir>', 'data directory the node will use', DEFAULT_DATA_DIR)
    .option('--etcd <url>', 'etcd endpoint to check (cluster mode)')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExample:\n  $ npx flick doctor --port 7070\n')
    .action(async (opts: { port: string; data: string; etcd?: string; json?: boolean }) => {
      const results = await runHostChecks({ port: Number(opts.port), dataDir: opts.data, etcd: opts.etcd });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      } else {
        for (const r of results) {
          process.stdout.write(`${r.status.padEnd(4)}  ${r.name.padEnd(16)} ${r.detail}\n`);
          if (r.fix) process.stdout.write(`      ${''.padEnd(16)} fix: ${r.fix}\n`);
        }
      }
      if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
    });
}

/**
 * `flick gc`: prunes old releases (keeping each app's current, previous and canary releases and its
 * newest N) and deletes the images no remaining release refers to.
 */
import type { Command } from 'commander';
import type { GcReport } from '../../control/gc.js';
import { ApiClient, withServer, type ServerOptions } from '../client.js';
import { integerArg } from '../flags.js';

interface GcOpts extends ServerOptions {
  keep?: string;
  grace?: string;
  json?: boolean;
}

export function register(program: Command): void {
  withServer(program.command('gc'))
    .option('--keep <n>', 'newest releases to keep per app, besides current, previous and canary (default 10)')
    .option('--grace <seconds>', 'never delete images stored more recently than this (default 900)')
    .option('--json', 'print the result as JSON')
    .description('prune old releases and delete images no release refers to')
    .addHelpText('after', '\nExample:\n  $ npx flick gc --keep 3\n')
    .action(async (opts: GcOpts) => {
      const body = {
        keep: opts.keep === undefined ? undefined : integerArg('--keep', opts.keep, 1, 'keep at least the newest release, e.g. --keep 3'),
        graceSeconds: opts.grace === undefined ? undefined : integerArg('--grace', opts.grace, 0, 'a number of seconds, e.g. --grace 60'),
      };
      const r = await new ApiClient(opts).json<GcReport>('POST', '/gc', body);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(r)}\n`);
      process.stdout.write(`pruned ${r.releasesPruned} release(s), deleted ${r.imagesDeleted} image(s), freed ${formatBytes(r.bytesFreed)}\n`);
    });
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

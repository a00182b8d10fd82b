/**
 * `flick scale APP N`: sets a replicas app's pool size at run time. The count is stored in the
 * node's store (beside the app's route), so it outlives restarts and deploys of new releases.
 */
import type { Command } from 'commander';
import type { ScaleRecord } from '../../control/registry.js';
import { ApiClient, withServer, type ServerOptions } from '../client.js';
import { integerArg } from '../flags.js';

export function register(program: Command): void {
  withServer(program.command('scale'))
    .argument('<app>', 'a replicas app (instances.mode "replicas" in its flick.json)')
    .argument('<replicas>', 'how many instances its pool should have')
    .option('--json', 'print the result as JSON')
    .description('change how many instances serve a replicas app, without a deploy')
    .addHelpText('after', '\nExample:\n  $ npx flick scale workers 4\n')
    .action(async (app: string, replicas: string, opts: ServerOptions & { json?: boolean }) => {
      const n = integerArg('replicas', replicas, 1, 'give a pool size of 1 or more, e.g. flick scale workers 4');
      const r = await new ApiClient(opts).json<ScaleRecord>('POST', `/apps/${encodeURIComponent(app)}/scale`, { replicas: n });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(r)}\n`);
      process.stdout.write(`${app} now runs ${r.replicas} replica(s)\n`);
    });
}

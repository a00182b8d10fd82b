/**
 * `flick dev [DIR]`: serves an app from its directory on a local node and deploys it again on
 * every save, keeping per-key state across builds (the app's `flick_upgrade` hook) and the old
 * build serving when a new one does not build or deploy.
 */
import type { Command } from 'commander';
import { startDevLoop, type DevEvent } from '../../daemon/dev-loop.js';
import { CliError } from '../errors.js';
import { integerArg } from '../flags.js';
import { DEFAULT_PORT } from '../defaults.js';
import { formatPhasesCompact } from '../render/deployment.js';
import { trapHandlerDisabled } from '../../host/v8-flags.js';

const PORT_HINT = 'use a number between 1 and 65535 (0 picks a free one)';

export function register(program: Command): void {
  program
    .command('dev')
    .description('serve an app directory locally, rebuilding and swapping it in (state kept) on every save')
    .argument('[dir]', 'the app directory (with flick.json)', '.')
    .option('--port <port>', 'port to serve on', String(DEFAULT_PORT))
    .option('--data <dir>', 'data directory for the node (default: a temp directory, removed on exit)')
    .option('--listen <host>', 'address to bind (loopback unless you mean it)', '127.0.0.1')
    .addHelpText('after', '\nExample:\n  $ npx flick dev examples/counter\n  flick dev: http://counter.localhost:7070/\n  $ curl -H "Flick-Key: alice" http://counter.localhost:7070/\n')
    .action(async (dir: string, opts: { port: string; data?: string; listen: string }) => {
      const port = integerArg('--port', opts.port, 0, PORT_HINT);
      if (port > 65535) throw new CliError(`--port ${opts.port} is not a port number`, PORT_HINT, 2);
      if (!trapHandlerDisabled()) process.stderr.write('flick: warning: running with the wasm trap handler on; instance density is limited (run through npx flick)\n');
      let loop;
      try {
        loop = await startDevLoop({ dir, port, host: opts.listen, dataDir: opts.data, onEvent: printEvent });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} is already in use`, `serve on another port: flick dev --port ${port + 1}`);
        throw e;
      }
      process.stdout.write(`flick dev: ${loop.url}  (watching ${dir} for changes; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await loop.stop();
    });
}

function printEvent(event: DevEvent): void {
  switch (event.kind) {
    case 'rebuild':
      return void process.stdout.write(`flick dev: ${event.changed} changed, rebuilding\n`);
    case 'unchanged':
      return void process.stdout.write('flick dev: the build is identical to the one serving, nothing to deploy\n');
    case 'deployed': {
      const d = event.deployment;
      process.stdout.write(`flick dev: release ${d.to} serving  ${formatPhasesCompact(d)}\n`);
      // Whether state carried over is what a developer wants to know after each save (the first deploy has none to carry).
      const upgrade = d.phases.find((p) => p.name === 'upgrade');
      if (d.from !== null && upgrade?.detail) process.stdout.write(`  upgrade: ${upgrade.detail}\n`);
      return;
    }
    case 'build-failed':
      return printProblem('build failed', event.problem);
    case 'deploy-failed':
      printProblem('deploy failed', event.problem);
      if (event.deployment) process.stderr.write(`  ${formatPhasesCompact(event.deployment)}\n`);
      return;
  }
}

function printProblem(what: string, problem: { message: string; hint: string }): void {
  process.stderr.write(`flick dev: ${what}: ${problem.message}\n  hint: ${problem.hint}\n`);
}

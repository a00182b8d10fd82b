/**
 * `flick top`: the node's live view in the terminal (apps with rps, p99 and errors, schedulers,
 * busiest instances), redrawn every second on a TTY. Not on a TTY (or with --once) it prints one
 * snapshot as plain lines and exits.
 */
import type { Command } from 'commander';
import { ApiClient, withServer, type ServerOptions } from '../client.js';
import { CliError } from '../errors.js';
import type { Overview } from '../../dashboard/overview.js';
import { table } from '../render/table.js';

const TOP_INSTANCES = 10;

interface TopOptions extends ServerOptions {
  once?: boolean;
  json?: boolean;
  interval: string;
}

export function register(program: Command): void {
  withServer(program.command('top'))
    .option('--once', 'print one snapshot and exit (the default when output is not a terminal)')
    .option('--json', 'print one snapshot as JSON')
    .option('--interval <ms>', 'refresh period', '1000')
    .description('live view of the node: apps (rps, p99, errors), schedulers, busiest instances')
    .addHelpText('after', '\nExample:\n  $ npx flick top\n  $ npx flick top --once\n')
    .action(async (opts: TopOptions) => {
      const interval = Number(opts.interval);
      if (!Number.isFinite(interval) || interval < 100) throw new CliError(`--interval ${opts.interval} is too short`, 'use 100 ms or more', 2);
      const client = new ApiClient(opts);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(await client.json<Overview>('GET', '/overview'))}\n`);
      if (opts.once || !process.stdout.isTTY) return void process.stdout.write(`${frame(await client.json<Overview>('GET', '/overview'), client.server).join('\n')}\n`);
      await live(client, interval);
    });
}

async function live(client: ApiClient, interval: number): Promise<void> {
  let stopped = false;
  process.once('SIGINT', () => (stopped = true));
  process.stdout.write('\x1b[?25l'); // hide the cursor while redrawing
  try {
    while (!stopped) {
      const lines = frame(await client.json<Overview>('GET', '/overview'), client.server);
      // Home, draw, clear what is left of the previous frame: no flicker from a full clear.
      process.stdout.write(`\x1b[H${lines.map((l) => `${l.slice(0, process.stdout.columns || 200)}\x1b[K`).join('\n')}\n\x1b[J`);
      await new Promise((r) => setTimeout(r, interval));
    }
  } finally {
    process.stdout.write('\x1b[?25h');
  }
}

/** One screen as plain lines. */
function frame(o: Overview, server: string): string[] {
  const n = o.node;
  const out = [
    `flick ${server}   up ${n.uptimeS}s   instances ${n.instances}   memory ${kib(n.memoryBytes)}   spawns ${n.counters.spawns}   restarts ${n.counters.restarts}   migrations ${n.counters.migrations}`,
    '',
    ...table(['APP', 'RELEASE', 'RPS', 'P99', 'ERR/S', 'INSTANCES', 'MEMORY'], o.apps.map((a) => [
      a.app, a.release === null ? '-' : `${a.release}${a.version ? ` (${a.version})` : ''}${a.canary ? ` +canary ${a.canary.release}@${a.canary.weight}%` : ''}`,
      a.rps.toFixed(1), a.p99Ms === null ? '-' : `${a.p99Ms.toFixed(2)}ms`, a.errorsPerS.toFixed(1), String(a.instances), kib(a.memoryBytes),
    ])),
    '',
    ...table(['SCHEDULER', 'INSTANCES', 'IN FLIGHT', 'REPLACED'], n.schedulers.map((s) => [String(s.index), String(s.instances), String(s.outstanding), String(s.replacements)])),
    '',
    ...table(['INSTANCE', 'APP', 'STATE', 'SCHED', 'REQUESTS', 'MEMORY'], [...o.instances].sort((a, b) => b.requests - a.requests).slice(0, TOP_INSTANCES)
      .map((i) => [i.id, i.app, i.state, String(i.scheduler), String(i.requests), kib(i.memory)])),
  ];
  const running = o.deployments.filter((d) => d.status === 'running');
  for (const d of running) out.push('', `deploying ${d.id}: ${d.phases.map((p) => `${p.name}:${p.status}`).join(' ')}`);
  return out;
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}

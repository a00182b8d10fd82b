/**
 * `flick up`: starts a node on the embedded store and serves until interrupted. With `--demo`, the
 * example apps are deployed too (each once: an unchanged image is not deployed again).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from '../../daemon/daemon.js';
import type { ClusterOptions } from '../../daemon/cluster-link.js';
import { blobId } from '../../control/blob-store.js';
import { buildImage } from '../../image/build.js';
import { CliError } from '../errors.js';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from '../defaults.js';
import { trapHandlerDisabled } from '../../host/v8-flags.js';
import { examplesDir } from '../../host/install-root.js';
import { holdersFor, MAX_HOLDERS, processFileLimit } from '../../ingress/ws-holder/sizing.js';

export const DEMO_APPS = ['hello', 'counter', 'kv'];

export function register(program: Command): void {
  program
    .command('up')
    .description('start a node (embedded store) and serve apps until interrupted')
    .option('--port <port>', 'port for apps and the control API', String(DEFAULT_PORT))
    .option('--data <dir>', 'data directory (store, images, snapshots, token)', DEFAULT_DATA_DIR)
    .option('--listen <host>', 'address to bind (loopback unless you mean it)', '127.0.0.1')
    .option('--schedulers <n>', 'scheduler threads (default: one per core)')
    .option('--demo', 'also deploy the example apps (hello, counter, kv)')
    .option('--etcd <urls>', 'join a cluster: etcd client URLs, comma-separated (instead of the embedded store)')
    .option('--node-name <name>', 'this node\'s name in the cluster (with --etcd)')
    .option('--zone <zone>', 'failure-domain label: zone (with --etcd)')
    .option('--rack <rack>', 'failure-domain label: rack (with --etcd)')
    .option('--advertise <url>', 'the URL other nodes reach this one at (default: the listen URL)')
    .option('--ws-holders <n>', 'child processes that hold WebSocket sockets, past one process\'s open-file limit; 0 holds them in the node process (default: auto, enough for 100,000 when the limit is lower)', 'auto')
    .addHelpText('after', '\nExample:\n  $ npx flick up --demo\n  flick ready http://127.0.0.1:7070\n  $ curl http://hello.localhost:7070/\n')
    .action(async (opts: { port: string; data: string; listen: string; schedulers?: string; demo?: boolean; etcd?: string; nodeName?: string; zone?: string; rack?: string; advertise?: string; wsHolders: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port ${opts.port} is not a port number`, 'use a number between 1 and 65535 (0 picks a free one)', 2);
      if (!trapHandlerDisabled()) process.stderr.write('flick: warning: running with the wasm trap handler on; instance density is limited (run through npx flick)\n');
      let daemon: Daemon;
      try {
        daemon = await Daemon.start({ host: opts.listen, port, dataDir: opts.data, schedulers: opts.schedulers ? Number(opts.schedulers) : undefined, cluster: clusterOptions(opts), ingress: { wsHolders: wsHolders(opts.wsHolders) } });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE') throw new CliError(`port ${port} is already in use`, `start on another port: flick up --port ${port + 1}`);
        throw e;
      }
      if (opts.demo) {
        try {
          await deployDemo(daemon);
        } catch (e) {
          // A failed demo deploy must not leave the node running headless (its scheduler threads
          // would keep the process alive after the error is printed).
          await daemon.stop();
          throw e;
        }
      }
      const holders = daemon.ingress.websockets.holders;
      if (holders) process.stderr.write(`flick: open files are limited to ${processFileLimit()} per process: WebSockets will be held by ${holders.count} holder processes (started with the first one; --ws-holders)\n`);
      process.stdout.write(`flick ready ${daemon.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await daemon.stop();
    });
}

/** `--ws-holders`: a count, or `auto` (from this process's open-file limit: src/ingress/ws-holder/sizing.ts). */
function wsHolders(value: string): number {
  if (value === 'auto') return holdersFor(processFileLimit());
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_HOLDERS) throw new CliError(`--ws-holders ${value} is not a holder count`, `use auto, 0 (WebSockets in the node process) or a number up to ${MAX_HOLDERS}`, 2);
  return n;
}

function clusterOptions(opts: { etcd?: string; nodeName?: string; zone?: string; rack?: string; advertise?: string }): ClusterOptions | undefined {
  if (!opts.etcd) {
    if (opts.nodeName || opts.zone || opts.rack) throw new CliError('--node-name, --zone and --rack only mean something in a cluster', 'add --etcd URL to join one', 2);
    return undefined;
  }
  if (!opts.nodeName) throw new CliError('a node in a cluster needs a name', 'add --node-name NAME (unique in the cluster)', 2);
  return { etcd: opts.etcd.split(',').map((u) => u.trim()).filter(Boolean), nodeName: opts.nodeName, zone: opts.zone, rack: opts.rack, advertise: opts.advertise };
}

async function deployDemo(daemon: Daemon): Promise<void> {
  for (const name of DEMO_APPS) {
    const dir = join(examplesDir, name);
    if (!existsSync(join(dir, 'flick.json'))) throw new CliError(`the demo app ${name} is missing from ${examplesDir}`, 'run flick up --demo from a checkout of the flick repository');
    const built = join(dir, 'build', `${name}.flick`);
    const bytes = existsSync(built) ? readFileSync(built) : (await buildImage(dir)).bytes;
    const route = await daemon.registry.route(name);
    const current = route ? await daemon.registry.release(name, route.record.release) : null;
    if (current?.image === blobId(bytes)) continue;
    await daemon.engine.deploy({ image: bytes });
    process.stderr.write(`flick: deployed demo app ${name}\n`);
  }
}


/** `flick ps` lists instances; `flick migrate` moves one to another scheduler or node; `flick snapshot` hibernates one now. */
import type { Command } from 'commander';
import type { InstanceView } from '../../node/instance-table.js';
import type { MemberInfo } from '../../cluster/membership.js';
import { ApiClient, withServer, type ServerOptions } from '../client.js';
import { printTable } from '../render/table.js';

export function register(program: Command): void {
  withServer(program.command('ps'))
    .option('--json', 'print the instances as JSON')
    .option('--app <name>', 'only this app\'s instances')
    .description('list instances: app, release, key, state, scheduler, memory, requests, restarts')
    .addHelpText('after', '\nExample:\n  $ npx flick ps --app counter\n')
    .action(async (opts: ServerOptions & { json?: boolean; app?: string }) => {
      let list = await new ApiClient(opts).json<InstanceView[]>('GET', '/instances');
      if (opts.app) list = list.filter((i) => i.app === opts.app);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      printTable(
        ['INSTANCE', 'APP', 'RELEASE', 'KEY', 'STATE', 'SCHED', 'MEMORY', 'REQUESTS', 'RESTARTS'],
        list.map((i) => [i.id, i.app, i.release, i.key || '-', i.state, String(i.scheduler), `${Math.round(i.memory / 1024)} KiB`, String(i.requests), String(i.restarts)]),
      );
    });

  withServer(program.command('nodes'))
    .option('--json', 'print the nodes as JSON')
    .description('list the nodes of the cluster with their address, topology and capacity')
    .addHelpText('after', '\nExample:\n  $ npx flick nodes --server http://10.0.0.5:7070\n')
    .action(async (opts: ServerOptions & { json?: boolean }) => {
      const nodes = await new ApiClient(opts).json<MemberInfo[]>('GET', '/nodes');
      if (opts.json) return void process.stdout.write(`${JSON.stringify(nodes, null, 2)}\n`);
      printTable(
        ['NODE', 'ADDRESS', 'ZONE', 'RACK', 'HOST', 'DISK', 'CACHES', 'MEMORY', 'SCHEDULERS'],
        nodes.map(({ name, address, topology: t, capacity }) => [name, address, t.zone ?? '-', t.rack ?? '-', t.hostId.slice(0, 12), t.disk, t.cacheGroups.join(' ') || '-', `${Math.round(capacity.memoryBytes / 2 ** 30)} GiB`, String(capacity.schedulers)]),
      );
    });

  withServer(program.command('migrate'))
    .argument('<instance>', 'instance id (see flick ps)')
    .requiredOption('--to <target>', 'scheduler number on this node, or (in a cluster) the name of another node')
    .option('--json', 'print the result as JSON')
    .description('move a live instance to another scheduler or node; requests meanwhile are held, not dropped')
    .addHelpText('after', '\nExamples:\n  $ npx flick migrate counter-1 --to 1\n  $ npx flick migrate counter-1 --to node-b --server http://10.0.0.5:7070\n')
    .action(async (instance: string, opts: ServerOptions & { to: string; json?: boolean }) => {
      if (!/^\d+$/.test(opts.to)) {
        // A node name: the instance moves to that node (per-key instances; the key is pinned there).
        const r = await new ApiClient(opts).json<{ node: string; instance: string; pauseMs: number }>('POST', `/instances/${encodeURIComponent(instance)}/move`, { node: opts.to });
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else process.stdout.write(`moved ${instance} to node ${r.node} as ${r.instance} (paused ${r.pauseMs.toFixed(2)} ms)\n`);
        return;
      }
      const to = Number(opts.to);
      const r = await new ApiClient(opts).json<{ pauseMs: number }>('POST', `/instances/${encodeURIComponent(instance)}/migrate`, { to });
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`moved ${instance} to scheduler ${to} (paused ${r.pauseMs.toFixed(2)} ms)\n`);
    });

  withServer(program.command('snapshot'))
    .argument('<instance>', 'instance id (see flick ps)')
    .option('--json', 'print the result as JSON')
    .description('hibernate an instance now: snapshot it to disk and free it; the next request wakes it')
    .addHelpText('after', '\nExample:\n  $ npx flick snapshot counter-1\n')
    .action(async (instance: string, opts: ServerOptions & { json?: boolean }) => {
      const r = await new ApiClient(opts).json<{ id: string; snapshot: string; bytes: number }>('POST', `/instances/${encodeURIComponent(instance)}/hibernate`);
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stdout.write(`hibernated ${r.id} to ${r.snapshot} (${r.bytes} bytes)\n`);
    });
}

/**
 * The node of the WebSocket benchmarks, in its own process: what `flick up` runs (Daemon), with
 * examples/chat deployed and its `bench` room's instance already spawned, so that what grows
 * afterwards is the connections. `--holders N|auto` as `flick up --ws-holders`. Commands: `settle`
 * (collect garbage here and in the holders, report), `stop`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Daemon } from '../src/daemon/daemon.js';
import { buildImage } from '../src/image/build.js';
import { examplesDir } from '../src/host/install-root.js';
import { holdersFor, processFileLimit } from '../src/ingress/ws-holder/sizing.js';
import { openFileLimit, openFiles, serveCommands } from './_child.js';
import { CHAT_HOST, ROOM_PATH, type NodeReady, type NodeSettled } from './_connections-protocol.js';

async function chatImageBytes(): Promise<Uint8Array> {
  const built = join(examplesDir, 'chat', 'build', 'chat.flick');
  return existsSync(built) ? readFileSync(built) : (await buildImage(join(examplesDir, 'chat'))).bytes;
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host: CHAT_HOST } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject).end();
  });
}

const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const dataDir = arg('--data', '');
const holdersArg = arg('--holders', 'auto');
const wsHolders = holdersArg === 'auto' ? holdersFor(processFileLimit()) : Number(holdersArg);
const daemon = await Daemon.start({ host: '127.0.0.1', port: 0, dataDir, ingress: { wsHolders } });
await daemon.engine.deploy({ image: await chatImageBytes() });
const port = Number(new URL(daemon.url).port);
const status = await get(port, ROOM_PATH);
if (status !== 200) throw new Error(`the chat room answered ${status}`);

const gc = (globalThis as { gc?: () => void }).gc;
const holders = daemon.ingress.websockets.holders;
await holders?.start(); // as the first WebSocket would: their capacity is known, their baseline memory counted
serveCommands(async (m) => {
  if (m.t === 'settle') {
    // Twice: the first pass can leave work for finalizers that the second collects.
    gc?.();
    gc?.();
    const held = (await holders?.stats()) ?? [];
    return {
      t: 'settled',
      websockets: daemon.ingress.websockets.open,
      heapUsed: held.reduce((n, h) => n + h.heapUsed, process.memoryUsage().heapUsed),
      pids: [process.pid, ...held.map((h) => h.pid)],
    } satisfies NodeSettled;
  }
  throw new Error(`unknown command '${m.t}'`);
});
process.once('SIGTERM', () => {
  void daemon.stop().finally(() => process.exit(0));
});
const fileLimit = openFileLimit('self');
/** Open files the node keeps for itself besides sockets when it holds them (store, KV, snapshots, threads). */
const NODE_FILE_RESERVE = 64;
const capacity = holders ? holders.capacity : fileLimit - openFiles('self') - NODE_FILE_RESERVE;
process.send!({ t: 'ready', port, fileLimit, holders: holders?.count ?? 0, capacity } satisfies NodeReady);

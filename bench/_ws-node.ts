/**
 * The node of the `connections` benchmark, in its own process: what `flick up` runs (Daemon), with
 * examples/chat deployed and its `bench` room's instance already spawned, so that what grows
 * afterwards is the connections. Commands: `settle` (collect garbage, report), `stop`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Daemon } from '../src/daemon/daemon.js';
import { buildImage } from '../src/image/build.js';
import { examplesDir } from '../src/host/install-root.js';
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

const dataDir = process.argv[process.argv.indexOf('--data') + 1];
const daemon = await Daemon.start({ host: '127.0.0.1', port: 0, dataDir });
await daemon.engine.deploy({ image: await chatImageBytes() });
const port = Number(new URL(daemon.url).port);
const status = await get(port, ROOM_PATH);
if (status !== 200) throw new Error(`the chat room answered ${status}`);

const gc = (globalThis as { gc?: () => void }).gc;
serveCommands(async (m) => {
  if (m.t === 'settle') {
    // Twice: the first pass can leave work for finalizers that the second collects.
    gc?.();
    gc?.();
    return { t: 'settled', websockets: daemon.ingress.websockets.open, heapUsed: process.memoryUsage().heapUsed } satisfies NodeSettled;
  }
  throw new Error(`unknown command '${m.t}'`);
});
process.once('SIGTERM', () => {
  void daemon.stop().finally(() => process.exit(0));
});
process.send!({ t: 'ready', port, fileLimit: openFileLimit('self'), openFiles: openFiles('self') } satisfies NodeReady);

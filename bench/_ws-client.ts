/**
 * A client process of the `connections` benchmark: opens WebSockets to the node's chat room from
 * one loopback source address and consecutive local ports,
 * holds them idle, and on request checks that a sample still gets answers.
 * Commands: `open` → `opened`, `verify` → `verified`, `drop` (close all) → `dropped`.
 */
import { WebSocket } from 'ws';
import { openFileLimit, serveCommands, type Message } from './_child.js';
import { CHAT_HOST, ROOM_PATH, type ClientReady, type OpenCommand, type Opened, type VerifyCommand, type Verified } from './_connections-protocol.js';

/** A handshake (including the app's greeting) that takes longer than this counts as failed. */
const HANDSHAKE_TIMEOUT_MS = 20_000;

let sockets: WebSocket[] = [];
let dropped = 0;
function onUnexpectedClose(): void {
  dropped++;
}
function ignore(): void {}

/** Resolves with the socket once the room's greeting arrived (the app saw it open), or with the error. */
function openOne(url: string, localAddress: string, localPort: number): Promise<WebSocket | Error> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { host: CHAT_HOST }, localAddress, localPort, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    ws.once('message', () => {
      ws.off('error', fail);
      ws.on('error', ignore);
      ws.once('close', onUnexpectedClose);
      resolve(ws);
    });
    const fail = (e: Error) => resolve(e);
    ws.once('error', fail);
  });
}

async function open(c: OpenCommand): Promise<Opened> {
  const url = `ws://127.0.0.1:${c.port}${ROOM_PATH}`;
  const t0 = performance.now();
  let started = 0;
  let failed = 0;
  let firstError: string | null = null;
  const lane = async () => {
    while (started < c.count) {
      const r = await openOne(url, c.localAddress, c.firstPort + started++);
      if (r instanceof Error) {
        failed++;
        firstError ??= r.message;
      } else sockets.push(r);
      if ((sockets.length + failed) % 5000 === 0) process.stderr.write(`bench: client ${c.localAddress}: ${sockets.length} open, ${failed} failed\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(c.concurrency, c.count) }, lane));
  return { t: 'opened', open: sockets.length, failed, firstError, ms: performance.now() - t0 };
}

function answer(ws: WebSocket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(String(data).endsWith(': ping'));
    });
    ws.send('ping');
  });
}

async function verify(c: VerifyCommand): Promise<Verified> {
  const step = Math.max(1, Math.floor(sockets.length / c.samples));
  const sample = sockets.filter((_, i) => i % step === 0);
  const ok = await Promise.all(sample.map((ws) => answer(ws, c.timeoutMs)));
  return { t: 'verified', sampled: sample.length, answered: ok.filter(Boolean).length, dropped };
}

function drop(): Message {
  for (const ws of sockets) {
    ws.off('close', onUnexpectedClose);
    ws.terminate();
  }
  sockets = [];
  return { t: 'dropped' };
}

serveCommands(async (m) => {
  if (m.t === 'open') return open(m as OpenCommand);
  if (m.t === 'verify') return verify(m as VerifyCommand);
  if (m.t === 'drop') return drop();
  throw new Error(`unknown command '${m.t}'`);
});
process.send!({ t: 'ready', fileLimit: openFileLimit('self') } satisfies ClientReady);

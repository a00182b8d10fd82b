/**
 * A WebSocket holder: a child process of the node that holds accepted WebSockets' sockets, so that
 * the node's sockets are spread over several open-file limits (ws-holder/pool.ts). The main process
 * routed the upgrade and had the app accept `open`; it sends the socket's handle here with the
 * request's method, headers and already-read bytes. The holder completes the handshake with ws and
 * from then on relays: messages and the close to the main process, the app's replies and closes
 * back to the socket; it pauses a socket whose messages the main process has not taken yet. It
 * knows nothing of apps. It exits with its parent (IPC disconnect).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE, closeWhenOpen, exactBytes, ignore, sendWhenOpen } from '../ws-socket.js';
import { MAX_PAYLOAD_ARG, MAX_QUEUED_ARG, type FromHolder, type ToHolder } from './protocol.js';
import { processFileLimit } from './sizing.js';
import { Outbox } from './outbox.js';

const arg = (name: string) => Number(process.argv[process.argv.indexOf(name) + 1]);
const maxPayload = arg(MAX_PAYLOAD_ARG);
const maxQueued = arg(MAX_QUEUED_ARG);
if (!process.send || !Number.isInteger(maxPayload) || !Number.isInteger(maxQueued)) {
  process.stderr.write(`flick ws-holder: started without an IPC channel, ${MAX_PAYLOAD_ARG} or ${MAX_QUEUED_ARG}; the node starts holders itself\n`);
  process.exit(2);
}

const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: false });
const sockets = new Map<string, WebSocket>();
/** Messages relayed to the main process and not yet taken for their app, per connection; only busy connections have an entry. */
const untaken = new Map<string, number>();

function relay(id: string, ws: WebSocket, data: Uint8Array, binary: boolean): void {
  post({ t: 'message', id, data: exactBytes(data), binary });
  const n = (untaken.get(id) ?? 0) + 1;
  untaken.set(id, n);
  if (n >= maxQueued && !ws.isPaused) ws.pause();
}

function taken(id: string): void {
  const n = (untaken.get(id) ?? 1) - 1;
  if (n > 0) untaken.set(id, n);
  else untaken.delete(id);
  const ws = sockets.get(id);
  if (ws?.isPaused && n < maxQueued) ws.resume();
}

const outbox = new Outbox<FromHolder>((m) => {
  // Nothing to do when the channel is gone: 'disconnect' ends this process.
  if (process.connected) process.send!(m);
});

function post(m: FromHolder): void {
  outbox.post(m);
}

function adopt(m: Extract<ToHolder, { t: 'adopt' }>, socket: Socket | undefined): void {
  if (!socket) return post({ t: 'failed', id: m.id });
  socket.on('error', ignore);
  const req = { method: m.method, headers: m.headers, socket } as unknown as IncomingMessage;
  let ws = null as WebSocket | null; // set by the callback, which runs before handleUpgrade returns
  // Without verifyClient, ws completes (or fails, answering the client itself) before returning.
  wss.handleUpgrade(req, socket, Buffer.from(m.head.buffer, m.head.byteOffset, m.head.byteLength), (upgraded) => (ws = upgraded));
  if (ws === null) return post({ t: 'failed', id: m.id });
  socket.off('error', ignore);
  hold(m.id, ws);
  if (m.greeting) ws.send(m.greeting, { binary: m.binary });
}

/**
 * Relays one connection's events. Its own function so that the listeners' closures hold the id and
 * the socket only: not the adopt message (headers, and a view into an IPC read buffer) nor the
 * request, for as long as the connection lives.
 */
function hold(id: string, ws: WebSocket): void {
  sockets.set(id, ws);
  ws.on('error', ignore); // always followed by 'close'
  ws.on('message', (data, binary) => relay(id, ws, data as Buffer, binary));
  ws.on('close', (code, reason) => {
    sockets.delete(id);
    untaken.delete(id);
    post({ t: 'closed', id, code, reason });
  });
}

function stats(): FromHolder {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const mem = process.memoryUsage();
  return { t: 'stats', connections: sockets.size, heapUsed: mem.heapUsed, rss: mem.rss };
}

function receive(m: ToHolder, handle?: Socket): void {
  switch (m.t) {
    case 'batch':
      for (const one of m.messages) receive(one);
      return;
    case 'adopt':
      return adopt(m, handle);
    case 'send': {
      const ws = sockets.get(m.id);
      const written = ws ? sendWhenOpen(ws, m.body, m.binary) : Promise.resolve();
      // Answered even for a socket already gone: the main process waits for it before the next event.
      if (m.ack) void written.then(() => post({ t: 'sent', id: m.id }));
      return;
    }
    case 'close': {
      const ws = sockets.get(m.id);
      return ws && closeWhenOpen(ws, m.code, m.reason);
    }
    case 'taken':
      for (const id of m.ids) taken(id);
      return;
    case 'stats':
      return post(stats());
    case 'shutdown':
      // Like the in-process path at node shutdown: sockets dropped, the app hears 1006 from the main process.
      for (const ws of sockets.values()) ws.terminate();
      return process.exit(0);
  }
}

process.on('message', receive);

// The node is gone (or stopping): its sockets go with this process. A write to the channel can
// fail (EPIPE) before the disconnect is seen: that means the same.
process.on('disconnect', () => process.exit(0));
process.on('error', () => process.exit(0));

// A bug here must not leave clients hanging on half-dead sockets: they are told (1011) and the
// node, seeing this process exit, restarts it. Once: closing sockets may fail again.
let failing = false;
process.on('uncaughtException', (e) => {
  if (failing) return;
  failing = true;
  setTimeout(() => process.exit(1), 200);
  process.stderr.write(`flick ws-holder ${process.pid}: ${e.stack ?? e.message}\n`);
  for (const ws of sockets.values()) closeWhenOpen(ws, CLOSE.internalError, 'flick: websocket holder failed');
});

process.send!({ t: 'ready', fileLimit: processFileLimit() ?? 1024 } satisfies FromHolder);

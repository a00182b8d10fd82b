/**
 * WebSockets held in the node's own process (`--ws-holders 0`, and the default of an Ingress built
 * directly): ws completes the handshake on the http server's socket and its events go straight to
 * the ingress. Bounded by this process's open-file limit.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Connection, type ConnectionInfo, type ConnectionSink, type Greeting, type Refusal, type WebSocketTransport } from './ws-connection.js';
import { closeWhenOpen, exactBytes, ignore, sendWhenOpen } from './ws-socket.js';

class LocalConnection extends Connection {
  constructor(readonly ws: WebSocket, info: ConnectionInfo) {
    super(info);
  }
  send(body: Uint8Array, binary: boolean): Promise<void> {
    return sendWhenOpen(this.ws, body, binary);
  }
  close(code: number, reason: string): void {
    closeWhenOpen(this.ws, code, reason);
  }
  queued(limit: number): void {
    if (this.queue.length >= limit && !this.ws.isPaused) this.ws.pause();
  }
  taken(limit: number): void {
    if (this.ws.isPaused && this.queue.length < limit) this.ws.resume();
  }
}

export class LocalSockets implements WebSocketTransport {
  private readonly wss: WebSocketServer;

  constructor(maxMessageBytes: number, private readonly sink: ConnectionSink) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: maxMessageBytes,
      // Compression keeps zlib state per connection (hundreds of KiB): off, so idle sockets stay cheap.
      perMessageDeflate: false,
      clientTracking: true,
    });
  }

  ready(): null {
    return null;
  }

  refusal(): Refusal | null {
    return null; // the accept loop hits the open-file limit before this process could say anything
  }

  get open(): number {
    return this.wss.clients.size;
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer, info: ConnectionInfo, greeting: Greeting | null): Connection | null {
    let conn: LocalConnection | null = null;
    // Without verifyClient, ws completes (or fails) the handshake before handleUpgrade returns.
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', ignore);
      const c = (conn = new LocalConnection(ws, info));
      ws.on('error', ignore); // always followed by 'close', which is what matters
      ws.on('message', (data, isBinary) => this.sink.received(c, exactBytes(data as Buffer), isBinary));
      ws.on('close', (code, reason) => this.sink.ended(c, code, exactBytes(reason)));
      if (greeting) ws.send(greeting.body, { binary: greeting.binary });
    });
    return conn;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

/**
 * The front door: HTTP/1.1 with keep-alive on one port. Turns a request into a GuestRequest, finds
 * the app (RouteTable), applies per-app overload control (AppGate) and size limits, and hands the
 * request to the node. `/_flick/…` goes to the node's own handler (API, metrics, dashboard).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import { RouteTable } from './route-table.js';
import { AppGate, type GateLimits } from './app-gate.js';
import { WebSocketIngress } from './websocket.js';

export interface Dispatcher {
  dispatch(app: string, request: GuestRequest): Promise<GuestResponse>;
}

/** An error that knows its HTTP answer (the node's DispatchError has this shape). */
interface HttpAnswerable {
  code: string;
  message: string;
  hint: string;
  httpStatus: number;
  /** When a retry may succeed, seconds (sent as Retry-After). */
  retryAfterS?: number;
}

export type SystemHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface IngressOptions {
  host: string;
  port: number;
  /** Largest request body accepted, bytes (413 beyond). */
  maxBodyBytes: number;
  /** Largest request head accepted, bytes (431 beyond). */
  maxHeaderBytes: number;
  /** Per-app concurrency and queue bounds (503 + Retry-After beyond). */
  gate: GateLimits;
  /** Time allowed to receive a request's headers: slow clients (slowloris) are cut off after it (408). */
  headersTimeoutMs: number;
  /** Time allowed to receive a whole request, body included: a body that trickles in is cut off after it (408). */
  requestTimeoutMs: number;
  /** WebSocket messages waiting for the app per connection before reading pauses (messages are limited to maxBodyBytes). */
  maxQueuedMessages: number;
  /** Child processes that hold WebSocket sockets, past this process's open-file limit (ws-holder/pool.ts); 0: held here. */
  wsHolders: number;
}

export const DEFAULT_INGRESS: Omit<IngressOptions, 'host' | 'port'> = {
  maxBodyBytes: 1 << 20,
  maxHeaderBytes: 16 << 10,
  gate: { limit: 256, queue: 1024 },
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxQueuedMessages: 16,
  wsHolders: 0,
};

/** How often slow clients are looked for; a slow client is cut within this of its timeout. */
const SLOW_CLIENT_CHECK_MS = 1000;
/**
 * How long a request whose body is over the limit waits, its socket no longer read, before its 413
 * and the close. A client that keeps sending oversized bodies otherwise starts the next one at
 * once, and each cost the node up to a limit's worth of reading (chunked) plus its connection:
 * hello's p99 beside two such clients went 3.9 → 14.6 ms (`flick bench hostile`). Paused, the
 * connection costs nothing while it waits; an honest client gets its 413 a second late.
 */
const OVERSIZE_ANSWER_DELAY_MS = 1000;

export class Ingress {
  readonly routes = new RouteTable();
  private readonly gates = new Map<string, AppGate>();
  private readonly server: Server;
  private readonly opts: IngressOptions;
  readonly stats = { requests: 0, refused: 0, tooLarge: 0, notFound: 0 };
  readonly websockets: WebSocketIngress;
  /** Requests still being answered, per connection. */
  private readonly answering = new WeakMap<Duplex, number>();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly system: SystemHandler | null,
    opts: Partial<IngressOptions> & Pick<IngressOptions, 'host' | 'port'>,
  ) {
    this.opts = { ...DEFAULT_INGRESS, ...opts };
    this.server = createServer(
      {
        maxHeaderSize: this.opts.maxHeaderBytes,
        headersTimeout: this.opts.headersTimeoutMs,
        requestTimeout: this.opts.requestTimeoutMs,
        // Both timeouts are only checked this often (Node's default is 30 s, which would let a slow
        // client stay up to 40 s instead of 10): at most one timer per server, whatever the connections.
        connectionsCheckingInterval: SLOW_CLIENT_CHECK_MS,
        keepAliveTimeout: 5000,
      },
      (req, res) => {
        this.track(req.socket, res);
        // The last line: a failure while answering ends that connection, never the node.
        void this.serve(req, res).catch(() => res.destroy());
      },
    );
    this.websockets = new WebSocketIngress({
      routes: this.routes,
      gate: (app) => this.gate(app),
      dispatcher,
      limits: { maxMessageBytes: this.opts.maxBodyBytes, maxQueuedMessages: this.opts.maxQueuedMessages },
      holders: this.opts.wsHolders,
    });
    this.server.on('checkContinue', (req, res) => {
      // Node buffers the 100 Continue of a pipelined request (its response waits behind another)
      // and sends it after that response's head, inside the response. Such a client has sent its
      // body already: only the response next on the connection gets a 100 Continue.
      if (res.socket) res.writeContinue();
      this.server.emit('request', req, res);
    });
    this.server.on('upgrade', (req, socket, head) => {
      // Pipelined behind a request still being answered, an upgrade could only be answered after it,
      // on a socket Node is still writing to (answering at once threw, and ended the node). No
      // browser does this: the connection is closed.
      if (this.answering.has(socket)) return void socket.destroy();
      this.websockets.upgrade(req, socket, head);
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  }

  /** Counts a connection's requests until their responses close. */
  private track(socket: Duplex, res: ServerResponse): void {
    this.answering.set(socket, (this.answering.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (this.answering.get(socket) ?? 1) - 1;
      if (left > 0) this.answering.set(socket, left);
      else this.answering.delete(socket);
    });
  }

  async listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  get httpServer(): Server {
    return this.server;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    // Holders' sockets count as the server's until their holders are gone (Node tracks handed-off sockets).
    await Promise.all([closed, this.websockets.close()]);
  }

  private gate(app: string): AppGate {
    let g = this.gates.get(app);
    if (!g) this.gates.set(app, (g = new AppGate(this.opts.gate)));
    return g;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (this.system && (url === '/_flick' || url.startsWith('/_flick/'))) return this.system(req, res);
    this.stats.requests++;
    const app = this.routes.resolve(req.headers.host, url);
    if (app === null) {
      this.stats.notFound++;
      return answerError(res, 404, 'no_route', `no app serves ${req.headers.host ?? ''}${url}`, 'apps answer at http://NAME.localhost:PORT/ or at the routes their manifest declares');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.opts.maxBodyBytes) return this.tooLarge(req, res);
    // The body is read before the gate admits the request: a client trickling its body in (slow
    // body) then holds only its own connection, until requestTimeoutMs cuts it — not one of the
    // app's concurrency slots, which a few hundred such clients would otherwise take from everyone.
    const body = await readBody(req, this.opts.maxBodyBytes).catch(() => undefined);
    if (body === undefined) return; // the client went away, or was cut off, mid-body: nobody to answer
    if (body === null) return this.tooLarge(req, res);
    const gate = this.gate(app);
    const admitted = gate.enter();
    if (admitted === false || (admitted !== true && !(await admitted))) {
      this.stats.refused++;
      res.setHeader('retry-after', '1');
      return answerError(res, 503, 'overloaded', `app '${app}' is at its concurrency limit and its queue is full`, 'retry after a moment; the limit is per app (ingress gate)');
    }
    try {
      const response = await this.dispatcher.dispatch(app, toGuestRequest(req, url, body));
      writeResponse(res, response);
    } catch (e) {
      const a = e as Partial<HttpAnswerable>;
      if (typeof a.retryAfterS === 'number') res.setHeader('retry-after', String(Math.max(1, a.retryAfterS)));
      if (typeof a.httpStatus === 'number') return answerError(res, a.httpStatus, a.code ?? 'error', a.message ?? 'error', a.hint ?? '');
      answerError(res, 500, 'internal', `flick failed to serve the request: ${(e as Error).message}`, 'this is a bug in flick: see the node logs');
    } finally {
      gate.leave();
    }
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    this.stats.tooLarge++;
    // Read no more of it: draining what a client keeps sending would cost the node as much CPU as
    // the client cares to spend. The connection closes once the answer is out.
    answerOversizedLater(req.socket, () => {
      res.setHeader('connection', 'close');
      answerError(res, 413, 'body_too_large', `the request body is larger than ${this.opts.maxBodyBytes} bytes`, 'send a smaller body');
    });
  }
}

/** What Node answers a request it could not parse (its default, which a 'clientError' listener replaces). */
const CLIENT_ERROR_ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/**
 * Node's answer to a request it could not parse, except that a head over the size limit waits
 * OVERSIZE_ANSWER_DELAY_MS, unread, for its 431, like an oversized body for its 413: a client
 * sending huge heads back to back took hello's p99 from 3.3 to 14 ms (`flick bench hostile`).
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const answerable = socket.writable && (socket as Duplex & { bytesWritten?: number }).bytesWritten === 0;
  const answer = () => {
    if (answerable && socket.writable) socket.write(CLIENT_ERROR_ANSWERS[err.code ?? ''] ?? BAD_REQUEST);
    socket.destroy(err);
  };
  if (err.code !== 'HPE_HEADER_OVERFLOW' || !answerable) return answer();
  answerOversizedLater(socket, answer);
}

/** Stops reading an oversized request and answers it OVERSIZE_ANSWER_DELAY_MS later, unless the client has gone. */
function answerOversizedLater(socket: Duplex, answer: () => void): void {
  socket.pause();
  const timer = setTimeout(answer, OVERSIZE_ANSWER_DELAY_MS).unref();
  socket.once('close', () => clearTimeout(timer));
}

function toGuestRequest(req: IncomingMessage, url: string, body: Uint8Array): GuestRequest {
  const raw = req.rawHeaders;
  const headers: Array<[string, string]> = new Array(raw.length >> 1);
  for (let i = 0; i < raw.length; i += 2) headers[i >> 1] = [raw[i].toLowerCase(), raw[i + 1]];
  return { method: req.method ?? 'GET', url, headers, body };
}

const EMPTY = new Uint8Array(0);

/** The body, or null when it grows past `limit` (the declared length may lie or be absent). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function writeResponse(res: ServerResponse, r: GuestResponse): void {
  try {
    res.statusCode = r.status;
    for (const [k, v] of r.headers) res.appendHeader(k, v);
    res.setHeader('content-length', r.body.byteLength);
    res.end(r.body);
  } catch (e) {
    // Some headers Node refuses only when it sends them (a `Trailer` on a framed body): left in
    // place, they would make the error answer throw as well.
    if (!res.headersSent) for (const name of res.getHeaderNames()) res.removeHeader(name);
    throw e;
  }
}

export function answerError(res: ServerResponse, status: number, code: string, message: string, hint: string): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ error: code, message, hint });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-flick-error': code });
  res.end(body);
}

/**
 * WebSocket on the ingress port. An upgrade is routed like an HTTP request (RouteTable, AppGate; the
 * http server already enforced the header limit) and announced to the app as an `open` request; then
 * every message becomes one GuestRequest to the instance the upgrade request's key selects, and the
 * response body, if any, goes back as a message. The guest needs no new ABI: the convention is in
 * docs/abi.md, "WebSocket".
 *
 * Idle connections are the common case (100,000 on a node), so a connection costs ws's own objects
 * plus one small record: no per-connection timers, no compression state, no copy of the request.
 * The sockets themselves live in this process (ws-local.ts) or, past one process's open-file limit,
 * in holder processes (ws-holder/pool.ts); every rule below is the same for both.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import type { RouteTable } from './route-table.js';
import type { AppGate } from './app-gate.js';
import { answerError, writeResponse, type Dispatcher } from './server.js';
import type { Connection, ConnectionSink, Refusal, WebSocketTransport } from './ws-connection.js';
import { LocalSockets } from './ws-local.js';
import { HolderPool } from './ws-holder/pool.js';
import { CLOSE, CLOSE_HEADER, ignore } from './ws-socket.js';

export { CLOSE_HEADER };

export interface WebSocketLimits {
  /** Largest message accepted, bytes: a larger one closes the connection with 1009. */
  maxMessageBytes: number;
  /** Messages waiting for the app on one connection before reading from its socket pauses. */
  maxQueuedMessages: number;
}

export interface WebSocketIngressDeps {
  routes: RouteTable;
  gate(app: string): AppGate;
  dispatcher: Dispatcher;
  limits: WebSocketLimits;
  /** Holder processes that hold the sockets (ws-holder/pool.ts); 0 holds them in this process. */
  holders?: number;
}

/** The request header that tells the guest what happened on a connection. */
export const EVENT_HEADER = 'flick-websocket';
/** Request header: the connection's number on this node, so a room can tell its sockets apart. */
export const CONNECTION_HEADER = 'flick-websocket-id';

type WebSocketEvent = 'open' | 'message' | 'close';

/** Upgrade-request headers that describe the handshake, not the client: the guest never sees them. */
const HANDSHAKE_HEADERS = new Set([
  'connection', 'upgrade', 'content-length', 'content-type', 'transfer-encoding',
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions',
]);

const TEXT = 'text/plain; charset=utf-8';
const BINARY = 'application/octet-stream';

export class WebSocketIngress implements ConnectionSink {
  private readonly transport: WebSocketTransport;
  private nextId = 1;
  readonly stats = { opened: 0, closed: 0, messages: 0, refused: 0, notFound: 0, rejectedByApp: 0 };

  constructor(private readonly deps: WebSocketIngressDeps) {
    const holders = deps.holders ?? 0;
    this.transport = holders > 0 ? new HolderPool(holders, deps.limits, this) : new LocalSockets(deps.limits.maxMessageBytes, this);
  }

  /** Connections currently open. */
  get open(): number {
    return this.transport.open;
  }

  /** The holder processes, when sockets are held outside this process. */
  get holders(): HolderPool | null {
    return this.transport instanceof HolderPool ? this.transport : null;
  }

  /** The http server's `upgrade` listener. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until ws owns the socket, a reset from the client must not become an uncaught error.
    socket.on('error', ignore);
    this.accept(req, socket as Socket, head).catch((e: Error) => {
      // The answer can fail too (the socket may be gone, or half-handed to ws): then only this connection ends, never the node.
      try {
        answerError(answerOnSocket(req, socket as Socket), 500, 'internal', `flick failed to accept the WebSocket: ${e.message}`, 'this is a bug in flick: see the node logs');
      } catch {
        socket.destroy();
      }
    });
  }

  /** Drops every connection at once (node shutdown); their `close` events (1006) are sent while the node still runs. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private async accept(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const app = url === '/_flick' || url.startsWith('/_flick/') ? null : this.deps.routes.resolve(req.headers.host, url);
    if (app === null) {
      this.stats.notFound++;
      return answerError(answerOnSocket(req, socket), 404, 'no_route', `no app serves ${req.headers.host ?? ''}${url}`, 'apps answer WebSockets at ws://NAME.localhost:PORT/ or at the routes their manifest declares');
    }
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      return answerError(answerOnSocket(req, socket), 400, 'bad_upgrade', `flick upgrades connections to WebSocket only, not to '${req.headers.upgrade ?? ''}'`, 'send Upgrade: websocket');
    }
    const starting = this.transport.ready();
    if (starting !== null) {
      try {
        await starting;
      } catch (e) {
        const err = e as Error & { hint?: string };
        return this.refuse(req, socket, { status: 503, code: 'websocket_holders_failed', message: err.message, hint: err.hint ?? 'see the node log' });
      }
    }
    // Full before the app hears of it: a connection that cannot be held is not announced.
    const full = this.transport.refusal();
    if (full !== null) {
      this.stats.refused++;
      return this.refuse(req, socket, full);
    }
    const headers = guestHeaders(req.rawHeaders);
    const id = String(this.nextId++);
    const opened = await this.gated(app, eventRequest('open', req.method ?? 'GET', url, headers, id, EMPTY, false));
    if ('code' in opened) return this.refuse(req, socket, opened);
    if (opened.status < 200 || opened.status > 299) {
      this.stats.rejectedByApp++;
      return writeResponse(answerOnSocket(req, socket), opened);
    }
    const greeting = opened.body.byteLength > 0 ? { body: opened.body, binary: isBinary(opened) } : null;
    const conn = this.transport.upgrade(req, socket, head, { app, url, headers, id }, greeting);
    // A malformed handshake (ws answered it: 400, 405, …) or a client that left while the app was
    // deciding: the app heard `open`, so it hears `close` too.
    if (conn === null) return this.closed(app, url, headers, id, EMPTY, CLOSE.abnormal);
    this.stats.opened++;
    // After the greeting, which the transport sent first (ws keeps a socket's frames in order).
    const close = headerValue(opened.headers, CLOSE_HEADER);
    if (close !== null) closeAsAsked(conn, close);
  }

  private refuse(req: IncomingMessage, socket: Socket, r: Refusal): void {
    const res = answerOnSocket(req, socket);
    if (r.status === 503) res.setHeader('retry-after', '1');
    answerError(res, r.status, r.code, r.message, r.hint);
  }

  /** A message arrived on a connection's socket. */
  received(conn: Connection, data: Uint8Array, binary: boolean): void {
    this.stats.messages++;
    this.enqueue(conn, { event: 'message', body: data, binary, code: 0 });
    // Backpressure: a client that sends faster than its app answers stops being read.
    conn.queued(this.deps.limits.maxQueuedMessages);
  }

  /** A connection's socket closed: the app's last event for it. */
  ended(conn: Connection, code: number, reason: Uint8Array): void {
    this.stats.closed++;
    this.enqueue(conn, { event: 'close', body: reason, binary: false, code });
  }

  private enqueue(conn: Connection, d: Connection['queue'][number]): void {
    conn.queue.push(d);
    if (!conn.delivering) void this.deliverAll(conn);
  }

  /** Delivers a connection's queue in order, one call at a time (an instance sees its socket's messages in order). */
  private async deliverAll(conn: Connection): Promise<void> {
    conn.delivering = true;
    for (let d = conn.queue.shift(); d !== undefined; d = conn.queue.shift()) {
      if (d.event === 'close') {
        await this.closed(conn.app, conn.url, conn.headers, conn.id, d.body, d.code);
        continue;
      }
      conn.taken(this.deps.limits.maxQueuedMessages);
      const answer = await this.gated(conn.app, eventRequest('message', 'POST', conn.url, conn.headers, conn.id, d.body, d.binary));
      if ('code' in answer) closeFor(conn, answer);
      else await this.reply(conn, answer);
    }
    conn.delivering = false;
  }

  /** Sends the response body as a message (waiting until the socket took it: slow readers slow their own queue), then closes if asked. */
  private async reply(conn: Connection, r: GuestResponse): Promise<void> {
    if (r.body.byteLength > 0) await conn.send(r.body, isBinary(r));
    const close = headerValue(r.headers, CLOSE_HEADER);
    if (close !== null) closeAsAsked(conn, close);
  }

  /** An open or a message, through the app's gate: a full gate refuses it, as it refuses an HTTP request. */
  private async gated(app: string, request: GuestRequest): Promise<GuestResponse | Refusal> {
    const gate = this.deps.gate(app);
    const admitted = gate.enter();
    if (admitted === false || (admitted !== true && !(await admitted))) {
      this.stats.refused++;
      return { status: 503, code: 'overloaded', message: `app '${app}' is at its concurrency limit and its queue is full`, hint: 'retry after a moment; the limit is per app (ingress gate)' };
    }
    try {
      return await this.dispatch(app, request);
    } finally {
      gate.leave();
    }
  }

  /**
   * A close goes around the gate: every open the app accepted must be matched by a close (a mass
   * disconnect would otherwise lose most of them), and there is one per admitted connection, so
   * their number is bounded all the same.
   */
  private async closed(app: string, url: string, headers: Array<[string, string]>, id: string, reason: Uint8Array, code: number): Promise<void> {
    await this.dispatch(app, eventRequest('close', 'POST', url, headers, id, reason, false, code));
  }

  /** One event to the app; a failure comes back as its HTTP answer instead of throwing. */
  private async dispatch(app: string, request: GuestRequest): Promise<GuestResponse | Refusal> {
    try {
      return await this.deps.dispatcher.dispatch(app, request);
    } catch (e) {
      const a = e as Partial<Refusal> & { httpStatus?: number };
      if (typeof a.httpStatus === 'number') return { status: a.httpStatus, code: a.code ?? 'error', message: a.message ?? 'error', hint: a.hint ?? '' };
      return { status: 500, code: 'internal', message: `flick failed to deliver the WebSocket event: ${(e as Error).message}`, hint: 'this is a bug in flick: see the node logs' };
    }
  }
}

function eventRequest(event: WebSocketEvent, method: string, url: string, headers: Array<[string, string]>, id: string, body: Uint8Array, binary: boolean, closeCode?: number): GuestRequest {
  const own: Array<[string, string]> = [[EVENT_HEADER, event], [CONNECTION_HEADER, id]];
  if (event === 'message') own.push(['content-type', binary ? BINARY : TEXT]);
  if (closeCode !== undefined) own.push([CLOSE_HEADER, String(closeCode)]);
  return { method, url, headers: own.concat(headers), body };
}

function guestHeaders(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!HANDSHAKE_HEADERS.has(name) && !name.startsWith('flick-websocket')) out.push([name, raw[i + 1]]);
  }
  return out;
}

/** A reply is a binary message when the app says its body is octets, else text. */
function isBinary(r: GuestResponse): boolean {
  return headerValue(r.headers, 'content-type') === BINARY;
}

function headerValue(headers: Array<[string, string]>, name: string): string | null {
  for (const [k, v] of headers) if (k.toLowerCase() === name) return v;
  return null;
}

/** The app's `flick-websocket-close: CODE [REASON]`; a code or reason the protocol refuses (RFC 6455) closes with 1011 instead. */
function closeAsAsked(conn: Connection, header: string): void {
  const space = header.indexOf(' ');
  conn.close(Number(space < 0 ? header : header.slice(0, space)), space < 0 ? '' : header.slice(space + 1));
}

/** An event the app could not take: overload asks the client to come back later, a vanished app is going away, anything else is an error. */
function closeFor(conn: Connection, r: Refusal): void {
  conn.close(r.status === 503 ? CLOSE.tryAgainLater : r.status === 404 ? CLOSE.goingAway : CLOSE.internalError, r.code.slice(0, 120));
}

/** An HTTP response written straight onto an upgrade's socket (which the http server no longer serves), closing it after. */
function answerOnSocket(req: IncomingMessage, socket: Socket): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.on('finish', () => {
    res.detachSocket(socket);
    socket.destroySoon();
  });
  return res;
}

const EMPTY = new Uint8Array(0);

/**
 * One WebSocket as the node's ingress sees it, whichever process holds its socket: what its events
 * are dispatched as, the queue of events not yet delivered, and the few things the ingress does to
 * the socket (send, close, and reading paused while the app is behind). Where the socket lives is a WebSocketTransport: this
 * process (ws-local.ts) or holder processes (ws-holder/pool.ts), which exist because open files are
 * limited per process (docs/decisions.md, "WebSocket holder processes").
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** Something the app is told about one connection, in the order it happened. */
export interface Delivery {
  event: 'message' | 'close';
  body: Uint8Array;
  binary: boolean;
  /** The close code, for `close`. */
  code: number;
}

/** What identifies a connection to its app: every event carries the upgrade request's URL and headers. */
export interface ConnectionInfo {
  app: string;
  url: string;
  /** The upgrade request's headers minus the handshake ones: they carry the instance key. */
  headers: Array<[string, string]>;
  /** `flick-websocket-id`: the connection's number on this node. */
  id: string;
}

export abstract class Connection {
  readonly queue: Delivery[] = [];
  delivering = false;
  readonly app: string;
  readonly url: string;
  readonly headers: Array<[string, string]>;
  readonly id: string;

  constructor(info: ConnectionInfo) {
    this.app = info.app;
    this.url = info.url;
    this.headers = info.headers;
    this.id = info.id;
  }

  /** Sends a message; resolves when the socket took it (a slow reader slows only its own queue), at once if the socket is gone. */
  abstract send(body: Uint8Array, binary: boolean): Promise<void>;
  /** Closes the socket if it is open; a code or reason the protocol refuses closes with 1011 instead. */
  abstract close(code: number, reason: string): void;
  /**
   * Backpressure: a message joined the queue. At `limit` messages read but not yet taken for
   * delivery, reading from the socket stops (what one read already carried is still taken).
   */
  abstract queued(limit: number): void;
  /** A message left the queue for the app: reading resumes once fewer than `limit` wait. */
  abstract taken(limit: number): void;
}

/** The body of the app's answer to `open`: the connection's first message, sent right after the handshake. */
export interface Greeting {
  body: Uint8Array;
  binary: boolean;
}

/** Where a transport reports what happens on its sockets. */
export interface ConnectionSink {
  received(conn: Connection, data: Uint8Array, binary: boolean): void;
  /** The socket closed (the client's code; 1006 when it just went away): the app's last event. */
  ended(conn: Connection, code: number, reason: Uint8Array): void;
}

/** Why an event or an upgrade could not be taken, as an HTTP answer (the fields ingress answers HTTP errors with). */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  hint: string;
}

/** Where the sockets of accepted WebSockets live. */
export interface WebSocketTransport {
  /**
   * Null when connections can be taken now; else a promise settled once they can, or rejected
   * with why not. Asked on every upgrade, so the in-process path pays nothing.
   */
  ready(): Promise<void> | null;
  /** Why no more connections can be taken right now; null when one can. Asked before the app hears `open`. */
  refusal(): Refusal | null;
  /**
   * Completes the handshake the app accepted (or has it completed), sends the greeting first, and
   * returns the connection; null when that failed at once (the client got its HTTP error). A holder
   * may still report a failed handshake afterwards, as an `ended` with 1006.
   */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer, info: ConnectionInfo, greeting: Greeting | null): Connection | null;
  /** Connections open now. */
  readonly open: number;
  /** Drops every connection at once (node shutdown): each one's `ended` (1006) is reported while the node still runs. */
  close(): Promise<void>;
}

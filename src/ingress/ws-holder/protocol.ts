/**
 * What the node's main process and a WebSocket holder process say to each other over the IPC
 * channel (Node's `advanced` serialization, so message bytes travel as bytes). Connections are
 * named by their `flick-websocket-id`. Messages posted in one event-loop turn travel as one batch.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Batch } from './outbox.js';

/** Main → holder. */
export type ToHolder =
  /**
   * Sent with the socket's handle: complete the handshake (the app already accepted `open`) and send
   * the greeting, if any, as the first message. `headers`: the ones the handshake reads.
   */
  | { t: 'adopt'; id: string; method: string; headers: IncomingHttpHeaders; head: Uint8Array; greeting: Uint8Array | null; binary: boolean }
  /** Send one message; with `ack`, answer `sent` once the socket took it. */
  | { t: 'send'; id: string; body: Uint8Array; binary: boolean; ack: boolean }
  | { t: 'close'; id: string; code: number; reason: string }
  /**
   * These connections' oldest relayed messages left the main process's queue for their app (one id
   * per message). The holder stops reading a socket while `--max-queued` of its messages are relayed
   * but not taken: backpressure where the socket is. Rides along with the next batch (the reply's,
   * usually), or goes alone after TAKEN_DELAY_MS: one IPC message less per request and answer.
   */
  | { t: 'taken'; ids: string[] }
  | Batch<ToHolder>
  /** Report memory and connections (after a GC when the process can collect on demand). */
  | { t: 'stats' }
  /** Drop every connection (node shutdown) and exit. */
  | { t: 'shutdown' };

/** Holder → main. */
export type FromHolder =
  | { t: 'ready'; fileLimit: number }
  /** The handshake failed: ws answered the client with an HTTP error itself. */
  | { t: 'failed'; id: string }
  | { t: 'message'; id: string; data: Uint8Array; binary: boolean }
  | { t: 'closed'; id: string; code: number; reason: Uint8Array }
  | { t: 'sent'; id: string }
  | { t: 'stats'; connections: number; heapUsed: number; rss: number }
  | Batch<FromHolder>;

/**
 * Reply bytes the main process sends one connection without asking the holder whether its socket
 * took them: small replies need no acknowledgement (one IPC message less each); past this much, a
 * reply waits until the socket took it, so a client that does not read slows only itself.
 */
export const UNACKED_REPLY_BYTES = 64 << 10;

/** The holder's command line: `--max-payload BYTES --max-queued MESSAGES`. */
export const MAX_PAYLOAD_ARG = '--max-payload';
export const MAX_QUEUED_ARG = '--max-queued';

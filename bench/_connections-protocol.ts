/** What the `connections` benchmark's processes say to each other, and where they connect. */
import type { Message } from './_child.js';

/** The chat room every connection joins: one instance (examples/chat) hears them all. */
export const ROOM_PATH = '/rooms/bench';
export const CHAT_HOST = 'chat.localhost';

export interface NodeReady extends Message {
  t: 'ready';
  port: number;
  /** The node process's open-file limit. */
  fileLimit: number;
  /** WebSocket holder processes (0: sockets held by the node process itself). */
  holders: number;
  /** Connections the node can hold: its holders' open-file limits, or its own. */
  capacity: number;
}

export interface NodeSettled extends Message {
  t: 'settled';
  websockets: number;
  /** V8 heap in use after GC, bytes, summed over the node and its holders: the JavaScript part of the resident set. */
  heapUsed: number;
  /** The node process and its holders: their resident sets make up the node's memory. */
  pids: number[];
}

export interface OpenCommand extends Message {
  t: 'open';
  port: number;
  count: number;
  localAddress: string;
  /** Connection i binds localPort firstPort + i: letting the kernel pick a free port of a bound address costs a scan of the ports in use, which grows with every connection. */
  firstPort: number;
  /** Handshakes in flight at once (the server's accept backlog is 511). */
  concurrency: number;
}

export interface Opened extends Message {
  t: 'opened';
  open: number;
  failed: number;
  firstError: string | null;
  ms: number;
}

export interface VerifyCommand extends Message {
  t: 'verify';
  samples: number;
  timeoutMs: number;
}

export interface Verified extends Message {
  t: 'verified';
  sampled: number;
  answered: number;
  /** Connections the server closed while they should have been idle. */
  dropped: number;
}

export interface ClientReady extends Message {
  t: 'ready';
  fileLimit: number;
}

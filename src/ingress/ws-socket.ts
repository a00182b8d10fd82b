/**
 * What is done to one `ws` WebSocket, the same wherever the socket lives: in the node's own process
 * (ws-local.ts) or in a holder process (ws-holder/holder.ts). Kept free of other flick imports so a
 * holder loads little besides `ws`.
 */
import { WebSocket } from 'ws';

/** Close codes (RFC 6455 §7.4.1) flick itself uses. */
export const CLOSE = { goingAway: 1001, internalError: 1011, tryAgainLater: 1013, abnormal: 1006 } as const;

/** Response header: close the connection (`CODE` or `CODE REASON`); request header on `close` events. */
export const CLOSE_HEADER = 'flick-websocket-close';

/** Sends one message; resolves once the socket took it, at once when the socket is no longer open. */
export function sendWhenOpen(ws: WebSocket, body: Uint8Array, binary: boolean): Promise<void> {
  if (ws.readyState !== WebSocket.OPEN) return Promise.resolve();
  return new Promise<void>((resolve) => ws.send(body, { binary }, () => resolve()));
}

/** Closes an open socket; a code or reason ws refuses (RFC 6455: an app's bad header) closes with 1011 instead. */
export function closeWhenOpen(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  try {
    ws.close(code, reason);
  } catch {
    ws.close(CLOSE.internalError, `flick: bad ${CLOSE_HEADER} header`);
  }
}

/**
 * The message as its own bytes. ws hands out views into the socket's read buffer (up to 64 KiB), and
 * posting a view to a scheduler thread clones the whole buffer behind it.
 */
export function exactBytes(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : new Uint8Array(data);
}

export function ignore(): void {}

/**
 * A WebSocket client for tests: messages wait in an inbox until asked for, so a test reads them in
 * order with `await next()` instead of wiring listeners; the upgrade's refusal and the close are
 * promises too.
 */
import { WebSocket, type ClientOptions, type RawData } from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

export interface Message {
  data: Buffer;
  binary: boolean;
  text: string;
}

export class SocketInbox {
  private readonly inbox: Message[] = [];
  private readonly waiting: Array<(m: Message) => void> = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, binary: boolean) => {
      const buf = data as Buffer;
      const m = { data: buf, binary, text: buf.toString('utf8') };
      const w = this.waiting.shift();
      if (w) w(m);
      else this.inbox.push(m);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(url: string, opts: ClientOptions = {}): Promise<SocketInbox> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    const inbox = new SocketInbox(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(inbox));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString())));
      });
      ws.once('error', reject);
    });
  }

  next(): Promise<Message> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends text and returns the next message (the app's answer). */
  async ask(text: string): Promise<string> {
    this.ws.send(text);
    return (await this.next()).text;
  }

  close(): Promise<Closed> {
    this.ws.close(1000);
    return this.closed;
  }
}

export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: string,
  ) {
    super(`the upgrade was refused with HTTP ${status}: ${body}`);
    this.name = 'UpgradeRefused';
  }
}

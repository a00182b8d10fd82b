/**
 * HTTP/1.1 at the byte level, for fuzzing a server: a TCP connection that collects everything the
 * server sends, and a strict parser that splits those bytes into responses (a server that sends
 * anything else is a finding too).
 */
import { connect, type Socket } from 'node:net';

export class RawConnection {
  private chunks: Buffer[] = [];
  private waiters = new Set<() => void>();
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake();
    });
    // A reset while we still write (the server refused and closed) is one of the answers under test.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Bytes received since the last `clear()`. */
  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Forgets what was received (a new exchange starts on a kept-alive connection). */
  clear(): void {
    this.chunks = [];
  }

  /** Queues bytes without waiting for them to leave: a server that stops reading must not stall the client. */
  write(bytes: Uint8Array): void {
    if (!this.closed && !this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  /** Half-closes: the server has all there will be, and must answer what it can and close. */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  /** Closes with a reset (no TIME_WAIT left behind: a long fuzz run opens many connections). */
  destroy(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /** Resolves true once `done()` holds (checked on every arrival and on close), false after `ms`. */
  until(done: () => boolean, ms: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), ms);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Map<string, string>;
  body: Buffer;
}

export interface ParsedStream {
  /** Final responses, in order (1xx interim responses are skipped). */
  responses: RawResponse[];
  /** Bytes at the end that do not (yet) make a whole response. */
  incomplete: boolean;
  /** The connection switched protocols (101): what follows is not HTTP. */
  switched: boolean;
  /** Why the bytes are not HTTP/1.1 responses, if they are not. */
  malformed: string | null;
}

const CRLF2 = Buffer.from('\r\n\r\n');

const NEXT_RESPONSE = /^HTTP\/1\.1 \d{3}/;

/**
 * Splits what a server sent on one connection into responses. `isHead(i)` tells whether the i-th
 * final response answers a HEAD request (no body however its headers read); when it cannot tell
 * (undefined: the requests were mutated), a "body" that starts like a status line is taken for the
 * next response. `closed`: the server closed, which ends a body that has neither a length nor chunks.
 */
export function parseResponses(data: Buffer, isHead: (index: number) => boolean | undefined, closed: boolean): ParsedStream {
  const out: ParsedStream = { responses: [], incomplete: false, switched: false, malformed: null };
  let pos = 0;
  while (pos < data.length) {
    const headEnd = data.indexOf(CRLF2, pos);
    if (headEnd < 0) return { ...out, incomplete: true };
    const [statusLine, ...lines] = data.subarray(pos, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3})(?: [^\r\n]*)?$/.exec(statusLine);
    if (!m) return { ...out, malformed: `not a status line: ${JSON.stringify(statusLine.slice(0, 80))}` };
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) return { ...out, malformed: `not a header line: ${JSON.stringify(line.slice(0, 80))}` };
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const status = Number(m[1]);
    pos = headEnd + CRLF2.length;
    if (status === 101) return { ...out, switched: true };
    if (status < 200) continue; // 100 Continue and other interim answers
    let body: Buffer;
    const head = isHead(out.responses.length) ?? NEXT_RESPONSE.test(data.subarray(pos, pos + 12).toString('latin1'));
    if (head || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) {
      const chunked = readChunked(data, pos);
      if (chunked === 'incomplete') return { ...out, incomplete: true };
      if (typeof chunked === 'string') return { ...out, malformed: chunked };
      [body, pos] = chunked;
    } else if (headers.has('content-length')) {
      const length = Number(headers.get('content-length'));
      if (!Number.isSafeInteger(length) || length < 0) return { ...out, malformed: `content-length ${headers.get('content-length')}` };
      if (data.length - pos < length) return { ...out, incomplete: true };
      body = data.subarray(pos, pos + length);
      pos += length;
    } else {
      if (!closed) return { ...out, incomplete: true };
      body = data.subarray(pos);
      pos = data.length;
    }
    out.responses.push({ status, headers, body });
  }
  return out;
}

function readChunked(data: Buffer, start: number): [Buffer, number] | 'incomplete' | string {
  const parts: Buffer[] = [];
  let pos = start;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', pos);
    if (lineEnd < 0) return 'incomplete';
    const size = parseInt(data.subarray(pos, lineEnd).toString('latin1').split(';')[0], 16);
    if (!Number.isSafeInteger(size) || size < 0) return `bad chunk size at ${pos}`;
    pos = lineEnd + 2;
    if (size === 0) {
      const end = data.indexOf(CRLF2, pos - 2); // no trailers: the blank line follows at once
      if (end < 0) return 'incomplete';
      return [Buffer.concat(parts), end + CRLF2.length];
    }
    if (data.length < pos + size + 2) return 'incomplete';
    parts.push(data.subarray(pos, pos + size));
    pos += size + 2;
  }
}

/**
 * Client-side attacks on a node's front door, run by the hostile-clients process
 * (bench/_hostile-load.ts) against hello's own host: bodies past the body limit, heads past the
 * header limit, and slow clients that hold connections open (slowloris: a head that never ends,
 * a byte at a time; slow body: a declared body that trickles in). Raw sockets, because an HTTP
 * library would neither send such requests nor tell "answered" apart from "closed".
 */
import { connect, type Socket } from 'node:net';
import { percentile, sortedCopy } from './_harness.js';
import { HOLD_BOUND_MS, type ClientAttack } from './_attacks.js';
import type { HostileAnswers } from './_hostile-load.js';

/** What the node did with one attacking connection. */
interface RawAnswer {
  /** The status it answered with; 0 when it closed the connection without a word. */
  status: number;
  /** Its `x-flick-error`, else `http_<status>`, or `closed`. */
  code: string;
  /** The answer's first bytes, for the report. */
  head: string;
  /** From connecting until the connection closed. */
  heldMs: number;
  /** The node left the connection open (after its answer, or until the attack stopped): we closed it. */
  closedByClient: boolean;
}

const HUGE_BODY_BYTES = 64 << 20;
const HUGE_HEADER_BYTES = 64 << 10;
const CHUNK = Buffer.alloc(64 << 10, 0x61);
/** A slow client sends one byte this often: slower than any real client, faster than any idle cut-off. */
const DRIP_MS = 500;
/** After its answer an attacker waits this long for the node to close the connection. */
const CLOSE_WAIT_MS = 2000;

/** One connection: what arrives is kept, and `answer` settles when it closes, by the node or by `giveUp`. */
class Exchange {
  readonly socket: Socket;
  private received = '';
  private readonly startedAt = performance.now();
  readonly answer: Promise<RawAnswer>;
  /** Settles when the node has sent an answer's head. */
  readonly answered: Promise<void>;
  isAnswered = false;
  closed = false;
  private closedByClient = false;

  constructor(port: number, opened: (s: Socket) => void) {
    let settle!: (a: RawAnswer) => void;
    let headSeen!: () => void;
    this.answer = new Promise((resolve) => (settle = resolve));
    this.answered = new Promise((resolve) => (headSeen = resolve));
    this.socket = connect(port, '127.0.0.1', () => opened(this.socket));
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      if (this.received.length < 4096) this.received += d;
      if (!this.isAnswered && this.received.includes('\r\n\r\n')) {
        this.isAnswered = true;
        headSeen();
      }
    });
    this.socket.on('error', () => {}); // a reset is an answer too: 'close' follows
    this.socket.on('close', () => {
      this.closed = true;
      settle(this.result());
    });
  }

  /** Ends our side: the answer is what came so far. */
  giveUp(): void {
    this.closedByClient = !this.closed;
    this.socket.destroy();
  }

  private result(): RawAnswer {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
    const status = m ? Number(m[1]) : 0;
    const code = /\r\nx-flick-error: ([^\r]+)/i.exec(this.received)?.[1] ?? (status ? `http_${status}` : 'closed');
    return { status, code, head: this.received.slice(0, 300), heldMs: performance.now() - this.startedAt, closedByClient: this.closedByClient };
  }
}

function head(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Writes `chunk` while the socket takes it, until `more()` says stop or `total` bytes went. */
function pump(socket: Socket, chunk: Buffer, total: number, more: () => boolean): void {
  let sent = 0;
  const go = () => {
    while (more() && sent < total && !socket.destroyed) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', go);
    }
  };
  go();
}

/** Waits for the node to close after it answered; one that keeps the connection open is left by us. */
async function closedAfterAnswer(x: Exchange): Promise<RawAnswer> {
  void x.answered.then(() => setTimeout(() => x.giveUp(), CLOSE_WAIT_MS).unref());
  return x.answer;
}

/** A 64 MiB body, declared (content-length) or not (chunked), sent as fast as the node reads it. */
function hugeBody(port: number, host: string, declared: boolean): Promise<RawAnswer> {
  const x = new Exchange(port, (s) => {
    s.write(head(['POST / HTTP/1.1', `Host: ${host}`, declared ? `Content-Length: ${HUGE_BODY_BYTES}` : 'Transfer-Encoding: chunked']));
    const chunk = declared ? CHUNK : Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from('\r\n')]);
    pump(s, chunk, HUGE_BODY_BYTES, () => !x.isAnswered);
  });
  return closedAfterAnswer(x);
}

/** One 64 KiB header. */
function hugeHeaders(port: number, host: string): Promise<RawAnswer> {
  const x = new Exchange(port, (s) => s.write(head(['GET / HTTP/1.1', `Host: ${host}`, `X-Big: ${'b'.repeat(HUGE_HEADER_BYTES)}`])));
  return closedAfterAnswer(x);
}

/** Starts a request and then sends `drip` one byte every DRIP_MS, forever: only the node can end it. */
function slow(port: number, start: string, drip: string, running: () => boolean): Exchange {
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const x = new Exchange(port, (s) => {
    s.write(start);
    timer = setInterval(() => {
      if (!running()) return void x.giveUp();
      s.write(drip[i++ % drip.length]);
    }, DRIP_MS);
  });
  void x.answer.then(() => clearInterval(timer));
  return x;
}

const slowloris = (port: number, host: string, running: () => boolean) => slow(port, `GET / HTTP/1.1\r\nHost: ${host}\r\n`, 'X-Slow: 1\r\n', running);
const slowBody = (port: number, host: string, running: () => boolean) => slow(port, head(['POST / HTTP/1.1', `Host: ${host}`, 'Content-Length: 1048576']), 'a', running);

/**
 * Runs one client attack on `origin` for hello's `host` until `stop()`: `workers` connections at a
 * time, each replaced as soon as the node is done with it. Answers are tallied like an app
 * attack's; slow attacks also say how long the node held them and how many it still held at the end.
 */
export class ClientAttackRun {
  private running = true;
  private readonly answers: RawAnswer[] = [];
  private readonly open = new Set<Exchange>();
  private readonly workers: Promise<void>[];
  private readonly port: number;

  constructor(
    private readonly attack: ClientAttack,
    origin: string,
    private readonly host: string,
    workers: number,
  ) {
    this.port = Number(new URL(origin).port);
    this.workers = Array.from({ length: workers }, (_, i) => this.loop(i));
  }

  /** Connections the node has answered or closed so far. */
  answered(): number {
    return this.answers.length;
  }

  /** Slow connections open now. */
  holding(): number {
    return this.open.size;
  }

  async stop(): Promise<HostileAnswers> {
    this.running = false;
    const openAtStop = [...this.open].filter((x) => !x.closed).length;
    for (const x of this.open) x.giveUp();
    await Promise.all(this.workers);
    return { ...tallyRaw(this.answers), ...(this.slow ? { openAtStop } : {}) };
  }

  private get slow(): boolean {
    return this.attack in HOLD_BOUND_MS;
  }

  private async loop(worker: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      const answer = this.slow ? await this.held() : await this.once(worker + n);
      // A connection our stop() ended is not the node's answer.
      if (answer && (this.running || answer.status !== 0)) this.answers.push(answer);
    }
  }

  private once(n: number): Promise<RawAnswer> {
    if (this.attack === 'huge-headers') return hugeHeaders(this.port, this.host);
    return hugeBody(this.port, this.host, n % 2 === 0);
  }

  private async held(): Promise<RawAnswer | null> {
    const start = this.attack === 'slowloris' ? slowloris : slowBody;
    const x = start(this.port, this.host, () => this.running);
    this.open.add(x);
    const a = await x.answer;
    this.open.delete(x);
    return a;
  }
}

function tallyRaw(answers: RawAnswer[]): HostileAnswers {
  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  for (const a of answers) {
    statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    codes[a.code] = (codes[a.code] ?? 0) + 1;
  }
  const held = sortedCopy(answers.map((a) => a.heldMs));
  return {
    requests: answers.length,
    statuses,
    codes,
    example: (answers.find((a) => a.status !== 0) ?? answers[0])?.head ?? '',
    leftOpenByNode: answers.filter((a) => a.closedByClient).length,
    heldMs: answers.length ? { p50: Math.round(percentile(held, 50)), max: Math.round(held[held.length - 1]) } : null,
  };
}

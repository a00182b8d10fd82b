/**
 * The HTTP front door under hostile bytes, over raw TCP against one node: valid, near-valid and
 * broken HTTP/1.1 requests (bad request lines, header folding, huge headers, contradictory
 * Content-Length / Transfer-Encoding, truncated bodies), pipelined, mutated at the byte level and
 * written slowly. The node answers each with a status (200, 400, 404, 413, 431, …) or closes the
 * connection, within a deadline, never with a 5xx; answers are never for a request that was not
 * sent (no smuggling); and a well-formed request right after still gets its 200.
 *
 * Connections are kept alive across cases while the node keeps them: a case that ends cleanly is
 * followed on the same connection by a sentinel request whose echo says the case is over; a case
 * that may leave a request unfinished (truncated, mutated, garbage) ends with a half-close instead,
 * after which the node must answer what it can and close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { Ingress } from '../../src/ingress/server.js';
import { byteMutation, mutate, type ByteMutation } from './byte-mutations.js';
import { startFuzzNode, type FuzzNode } from './fuzz-node.js';
import { parseResponses, RawConnection, type RawResponse } from './raw-http.js';
import { fuzzParameters, fuzzRuns, fuzzSuite } from './runs.js';

/** Sized so the short run takes a few seconds. */
const RUNS = 300;
/** The node answers or closes in milliseconds; its own slow-client limits are 10 s (headers) and 30 s (request). */
const CASE_DEADLINE_MS = 8000;
const MAX_BODY = 1 << 20; // the ingress default (413 beyond)
const MAX_HEADER = 16 << 10; // the ingress default (431 beyond)
/** The front door answers hostile bytes with a 200 (the app) or a 4xx (400, 404, 413, 417, 431, …); a 5xx is a finding. */
const allowed = (status: number) => status === 200 || (status >= 400 && status < 500);
const CRLF = '\r\n';

/** One request's bytes, and what we know about them. */
interface Message {
  bytes: Buffer;
  /** Well-formed, for an app that exists: the answer must be the echo of exactly this request. */
  valid: boolean;
  /** The node can act on it without further bytes (answer it, or refuse it and close). */
  complete: boolean;
  /** `METHOD URL` as sent (a broken request's as a lenient parser reads it): the only requests an echo may be for. */
  line: string;
  /** A HEAD: its answer has no body, whatever its headers say. */
  head: boolean;
  body: Buffer;
}

interface Case {
  messages: Message[];
  mutations: ByteMutation[];
  /** Split points and pauses for slow writes; empty: one write. */
  pieces: Array<{ at: number; pauseMs: number }>;
}

let fuzz: FuzzNode;
let port = 0;

// --- request pieces -------------------------------------------------------------------------

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}$/);
const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,40}[\x21-\x7e])?$/);
const pathSegment = fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@%-]{0,12}$/);
const url = fc
  .tuple(fc.array(pathSegment, { maxLength: 4 }), fc.option(fc.stringMatching(/^[A-Za-z0-9=&%+._~-]{0,20}$/)))
  .map(([segments, q]) => `/${segments.join('/')}${q === null ? '' : `?${q}`}`);
/** Headers a request may carry besides its framing; none of them changes how the node frames or routes it. */
const extraHeaders = fc.array(
  fc.oneof(
    fc.tuple(token.filter((n) => !/^(host|content-length|transfer-encoding|connection|upgrade|expect|te|trailer|keep-alive)$/i.test(n)), fieldValue),
    fc.constantFrom<[string, string]>(['Accept', '*/*'], ['Cookie', 'a=1; b=2'], ['X-Forwarded-For', '1.2.3.4'], ['Connection', 'keep-alive'], ['Content-Type', 'text/plain']),
  ),
  { maxLength: 5 },
);
const bodyBytes = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 20_000 }) }).map((b) => Buffer.from(b));

function head(requestLine: string, headers: Array<[string, string]>): string {
  return `${requestLine}${CRLF}${headers.map(([n, v]) => `${n}: ${v}${CRLF}`).join('')}${CRLF}`;
}

function chunked(body: Buffer, sizes: number[], extension: string, trailers: string): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (const size of sizes) {
    if (pos >= body.length) break;
    const piece = body.subarray(pos, pos + Math.max(1, size));
    parts.push(Buffer.from(`${piece.length.toString(16)}${extension}${CRLF}`), piece, Buffer.from(CRLF));
    pos += piece.length;
  }
  if (pos < body.length) parts.push(Buffer.from(`${(body.length - pos).toString(16)}${CRLF}`), body.subarray(pos), Buffer.from(CRLF));
  parts.push(Buffer.from(`0${CRLF}${trailers}${CRLF}`));
  return Buffer.concat(parts);
}

/** Well-formed requests to the echo app: any method, path and headers, a body framed by length or by chunks. */
const validRequest: fc.Arbitrary<Message> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    url,
    host: fc.constantFrom('echo.localhost', 'ECHO.localhost', 'echo.localhost:80'),
    headers: extraHeaders,
    framing: fc.constantFrom('none', 'length', 'length', 'chunked'),
    body: bodyBytes,
    chunks: fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 5 }),
    extension: fc.constantFrom('', ';a=b', ';x'),
    trailers: fc.constantFrom('', `X-Trailer: 1${CRLF}`),
  })
  .map(({ method, url, host, headers, framing, body, chunks, extension, trailers }) => {
    const sent = framing === 'none' ? Buffer.alloc(0) : body;
    const framingHeaders: Array<[string, string]> = framing === 'length' ? [['Content-Length', String(sent.length)]] : framing === 'chunked' ? [['Transfer-Encoding', 'chunked']] : [];
    const bytes = Buffer.concat([Buffer.from(head(`${method} ${url} HTTP/1.1`, [['Host', host], ...headers, ...framingHeaders])), framing === 'chunked' ? chunked(sent, chunks, extension, trailers) : sent]);
    return { bytes, valid: true, complete: true, line: `${method} ${url}`, head: method === 'HEAD', body: sent };
  });

/** A broken request; its line is read as a lenient parser would (`GET  /` as `GET /`), since the node may tolerate it. */
function bad(text: string | Buffer, complete = true): Message {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const [method, target] = bytes.subarray(0, 200).toString('latin1').split(/[\r\n]/, 1)[0].split(/[ \t]+/);
  return { bytes, valid: false, complete, line: `${method} ${target}`, head: false, body: Buffer.alloc(0) };
}
const HOST = `Host: echo.localhost${CRLF}`;
const SMUGGLED = `GET /smuggled HTTP/1.1${CRLF}${HOST}${CRLF}`;

/** Requests that are wrong in one known way: the node refuses them (or tolerates them), and must not desync. */
const brokenRequest: fc.Arbitrary<Message> = fc.oneof(
  // Request lines.
  fc.constantFrom(
    `GET  / HTTP/1.1${CRLF}${HOST}${CRLF}`, `GET / HTTP/2.0${CRLF}${HOST}${CRLF}`, `GET / HTTP/1.10${CRLF}${HOST}${CRLF}`, `GET /${CRLF}${HOST}${CRLF}`,
    `GET / HTTP/1.1 x${CRLF}${HOST}${CRLF}`, `/ HTTP/1.1${CRLF}${HOST}${CRLF}`, `GET\t/\tHTTP/1.1${CRLF}${HOST}${CRLF}`, `G@T / HTTP/1.1${CRLF}${HOST}${CRLF}`,
    `get / HTTP/1.1${CRLF}${HOST}${CRLF}`, `GET * HTTP/1.1${CRLF}${HOST}${CRLF}`, `OPTIONS * HTTP/1.1${CRLF}${HOST}${CRLF}`, `GET http://echo.localhost/x HTTP/1.1${CRLF}${HOST}${CRLF}`,
    `CONNECT echo.localhost:80 HTTP/1.1${CRLF}${HOST}${CRLF}`, `GET /\x00 HTTP/1.1${CRLF}${HOST}${CRLF}`, `GET / HTTP/1.0${CRLF}${CRLF}`, `GET / HTTP/1.1${CRLF}${CRLF}`,
    `GET /_flick/api/status HTTP/1.1${CRLF}${HOST}${CRLF}`, `GET / HTTP/1.1${CRLF}Host: nothing.localhost${CRLF}${CRLF}`, `PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`,
  ).map((b) => bad(b)),
  // Headers: folding, malformed lines, forbidden bytes, size limits.
  fc.constantFrom(
    `GET / HTTP/1.1${CRLF}${HOST}X-A: a${CRLF} folded${CRLF}${CRLF}`, `GET / HTTP/1.1${CRLF}${HOST}X-A: a${CRLF}\tfolded${CRLF}${CRLF}`, `GET / HTTP/1.1${CRLF} X-Lead: 1${CRLF}${HOST}${CRLF}`,
    `GET / HTTP/1.1${CRLF}Host : echo.localhost${CRLF}${CRLF}`, `GET / HTTP/1.1${CRLF}${HOST}X-No-Colon${CRLF}${CRLF}`, `GET / HTTP/1.1${CRLF}${HOST}X-A: a\x00b${CRLF}${CRLF}`,
    `GET / HTTP/1.1${CRLF}${HOST}X-A: a\rb${CRLF}${CRLF}`, `GET / HTTP/1.1\n${HOST}\n`, `GET / HTTP/1.1\r${HOST}\r\r`, `GET / HTTP/1.1${CRLF}${HOST}${HOST}${CRLF}`,
    `GET / HTTP/1.1${CRLF}Host: echo.localhost, alpha.localhost${CRLF}${CRLF}`, `GET / HTTP/1.1${CRLF}${HOST}: empty-name${CRLF}${CRLF}`,
    `GET / HTTP/1.1${CRLF}${HOST}X-Big: ${'a'.repeat(MAX_HEADER)}${CRLF}${CRLF}`, `GET /${'a'.repeat(MAX_HEADER)} HTTP/1.1${CRLF}${HOST}${CRLF}`,
    `GET / HTTP/1.1${CRLF}${HOST}${'X-Many: 1\r\n'.repeat(2000)}${CRLF}`,
  ).map((b) => bad(b)),
  // Framing: contradictory or malformed Content-Length / Transfer-Encoding, bodies over the limit.
  fc.constantFrom(
    `POST / HTTP/1.1${CRLF}${HOST}Content-Length: -1${CRLF}${CRLF}`, `POST / HTTP/1.1${CRLF}${HOST}Content-Length: abc${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Content-Length: 1, 2${CRLF}${CRLF}ab`, `POST / HTTP/1.1${CRLF}${HOST}Content-Length: 3${CRLF}Content-Length: 5${CRLF}${CRLF}abcde`,
    `POST / HTTP/1.1${CRLF}${HOST}Content-Length: 3${CRLF}Content-Length: 3${CRLF}${CRLF}abc`, `POST / HTTP/1.1${CRLF}${HOST}Content-Length: 3${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}0${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: gzip${CRLF}${CRLF}abc`, `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked, gzip${CRLF}${CRLF}0${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: gzip, chunked${CRLF}${CRLF}0${CRLF}${CRLF}`, `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}0${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: Chunked${CRLF}${CRLF}0${CRLF}${CRLF}`, `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: \tchunked${CRLF}${CRLF}0${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}zz${CRLF}ab${CRLF}0${CRLF}${CRLF}`, `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}ffffffffffffffffff${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}3${CRLF}abcX${CRLF}0${CRLF}${CRLF}`, `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}1;${'e'.repeat(20_000)}${CRLF}a${CRLF}0${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}3\nabc\n0\n\n`, `POST / HTTP/1.1${CRLF}${HOST}Content-Length: ${MAX_BODY + 1}${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Content-Length: 99999999999999999999${CRLF}${CRLF}`, `POST / HTTP/1.1${CRLF}${HOST}Content-Length: +3${CRLF}${CRLF}abc`,
    `POST / HTTP/1.1${CRLF}${HOST}Expect: 100-continue${CRLF}Content-Length: 3${CRLF}${CRLF}abc`, `POST / HTTP/1.1${CRLF}${HOST}Expect: nonsense${CRLF}Content-Length: 3${CRLF}${CRLF}abc`,
    `GET / HTTP/1.1${CRLF}${HOST}Connection: close${CRLF}${CRLF}`, `GET / HTTP/1.1${CRLF}${HOST}Connection: upgrade${CRLF}Upgrade: websocket${CRLF}${CRLF}`,
    `GET / HTTP/1.1${CRLF}${HOST}Connection: upgrade${CRLF}Upgrade: h2c${CRLF}${CRLF}`,
  ).map((b) => bad(b)),
  // A request hidden in a body: answered only if the node read the framing two ways (request smuggling).
  fc.constantFrom(
    `POST / HTTP/1.1${CRLF}${HOST}Content-Length: ${SMUGGLED.length + 5}${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}0${CRLF}${CRLF}${SMUGGLED}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}Content-Length: 4${CRLF}${CRLF}${(SMUGGLED.length).toString(16)}${CRLF}${SMUGGLED}${CRLF}0${CRLF}${CRLF}`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: xchunked${CRLF}${CRLF}${SMUGGLED}`,
    `POST / HTTP/1.1${CRLF}${HOST}Content-Length: 0${CRLF}Content-Length: ${SMUGGLED.length}${CRLF}${CRLF}${SMUGGLED}`,
  ).map((b) => bad(b)),
  // A body over the limit, sent in full (the node refuses it part-way and closes).
  fc.constant(bad(Buffer.concat([Buffer.from(`POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}${(MAX_BODY + 1).toString(16)}${CRLF}`), Buffer.alloc(MAX_BODY + 1, 0x61), Buffer.from(`${CRLF}0${CRLF}${CRLF}`)]))),
  // Unfinished: the node has to wait for the rest (the half-close ends the wait).
  fc.constantFrom(
    `POST / HTTP/1.1${CRLF}${HOST}Content-Length: 10${CRLF}${CRLF}abc`, `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}5${CRLF}ab`,
    `POST / HTTP/1.1${CRLF}${HOST}Transfer-Encoding: chunked${CRLF}${CRLF}3${CRLF}abc${CRLF}`, `GET / HTTP/1.1${CRLF}${HOST}`, `GET / HTT`,
  ).map((b) => bad(b, false)),
);

const garbage: fc.Arbitrary<Message> = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => bad(Buffer.from(b), false));

const httpTokens = fc.constantFrom('\r\n', '\n', '\r', '\r\n\r\n', ':', ' ', '\t', '\0', '0\r\n\r\n', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', 'Host: alpha.localhost\r\n', 'GET / HTTP/1.1\r\n').map((t) => Buffer.from(t, 'latin1'));
const mutation = byteMutation(fc.oneof(httpTokens.map((b) => new Uint8Array(b)), fc.uint8Array({ minLength: 1, maxLength: 16 })));

const fuzzCase: fc.Arbitrary<Case> = fc.record({
  messages: fc.array(fc.oneof({ weight: 5, arbitrary: validRequest }, { weight: 4, arbitrary: brokenRequest }, { weight: 1, arbitrary: garbage }), { minLength: 1, maxLength: 3 }),
  mutations: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }),
  pieces: fc.oneof({ weight: 8, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.record({ at: fc.nat(), pauseMs: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 4 }) }),
});

// --- running a case ---------------------------------------------------------------------------

let connection: RawConnection | null = null;
let sentinels = 0;

async function write(conn: RawConnection, bytes: Buffer, pieces: Case['pieces']): Promise<void> {
  const cuts = [...new Set(pieces.map((p) => (bytes.length === 0 ? 0 : p.at % bytes.length)))].sort((a, b) => a - b);
  let from = 0;
  for (const [i, cut] of cuts.entries()) {
    conn.write(bytes.subarray(from, cut));
    from = cut;
    await new Promise((r) => setTimeout(r, pieces[i].pauseMs));
  }
  conn.write(bytes.subarray(from));
}

/** What one case produced on its connection. */
interface Outcome {
  responses: RawResponse[];
  closed: boolean;
  switched: boolean;
  sentinel: string | null;
}

async function run(c: Case): Promise<Outcome> {
  if (!connection || connection.closed) connection = await RawConnection.open(port);
  const conn = connection;
  conn.clear();
  const unmutated = c.mutations.length === 0;
  const bytes = unmutated ? Buffer.concat(c.messages.map((m) => m.bytes)) : Buffer.from(mutate(Buffer.concat(c.messages.map((m) => m.bytes)), c.mutations));
  // With intact requests we know which answers carry no body; with mutated ones the parser tells.
  const isHead = (i: number) => (unmutated ? (c.messages[i]?.head ?? false) : undefined);
  const parse = () => parseResponses(conn.received, isHead, conn.closed);
  await write(conn, bytes, c.pieces);

  let sentinel: string | null = null;
  let ended: boolean;
  if (unmutated && c.messages.every((m) => m.complete)) {
    sentinel = `/fuzz-sentinel-${++sentinels}`;
    conn.write(Buffer.from(head(`GET ${sentinel} HTTP/1.1`, [['Host', 'echo.localhost']])));
    const answered = () => conn.closed || parse().switched || parse().responses.some((r) => r.body.toString('latin1').startsWith(`GET ${sentinel}\n`));
    ended = await conn.until(answered, CASE_DEADLINE_MS);
  } else {
    conn.end();
    ended = await conn.until(() => conn.closed || parse().switched, CASE_DEADLINE_MS);
  }
  const parsed = parse();
  if (parsed.switched) conn.destroy();
  assert.ok(ended, `no answer and no close within ${CASE_DEADLINE_MS} ms; received ${JSON.stringify(conn.received.toString('latin1').slice(0, 300))}`);
  assert.equal(parsed.malformed, null, `the node sent something that is not HTTP: ${parsed.malformed}`);
  return { responses: parsed.responses, closed: conn.closed, switched: parsed.switched, sentinel };
}

function check(c: Case, o: Outcome): void {
  const describeCase = () => JSON.stringify(Buffer.concat(c.messages.map((m) => m.bytes)).toString('latin1').slice(0, 400));
  for (const r of o.responses) {
    assert.ok(allowed(r.status), `status ${r.status} (${r.body.toString('latin1').slice(0, 200)}) for ${describeCase()}`);
    if (r.headers.has('x-flick-error') && r.body.length > 0) {
      const error = JSON.parse(r.body.toString('utf8')) as { error: string; message: string };
      assert.equal(error.error, r.headers.get('x-flick-error'));
      assert.ok(error.message.length > 0);
    }
  }
  if (c.mutations.length > 0) return;
  // Intact requests: every echo is of a request we sent (nothing smuggled inside a body).
  const sent = new Set([...c.messages.map((m) => m.line), `GET ${o.sentinel}`]);
  const echoes = o.responses.filter((x) => x.status === 200 && !x.headers.has('content-type') && x.body.length > 0);
  for (const r of echoes) {
    const line = r.body.toString('latin1').split('\n', 1)[0];
    assert.ok(sent.has(line), `an answer for a request that was not sent: ${JSON.stringify(line.slice(0, 100))} in ${describeCase()}`);
  }
  // Only well-formed requests: each answered in order, exactly. (Before a broken request, Node's
  // parser refuses the whole connection: a pipelined request not yet answered gets that 400.)
  if (!c.messages.every((m) => m.valid)) return;
  for (const [i, m] of c.messages.entries()) {
    const r = o.responses[i];
    assert.ok(r, `no answer to a well-formed request (closed: ${o.closed}): ${describeCase()}`);
    assert.equal(r.status, 200, `${r.status} ${r.body.toString('latin1').slice(0, 200)} for ${describeCase()}`);
    if (!m.head) assert.deepEqual(r.body, Buffer.concat([Buffer.from(`${m.line}\n`, 'latin1'), m.body.length <= 256 << 10 ? m.body : Buffer.alloc(0)]));
  }
  if (o.sentinel && !o.closed && !o.switched) {
    const last = o.responses.at(-1);
    assert.ok(last && last.status === 200 && last.body.toString('latin1') === `GET ${o.sentinel}\n`, `the sentinel was not the last answer: ${describeCase()}`);
  }
}

/** `work`, or a failure naming `what` after `ms` (a stuck client is reported, not waited on forever). */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe(fuzzSuite('HTTP ingress fuzzing'), () => {
  let control: Agent;

  before(async () => {
    fuzz = await startFuzzNode();
    port = Number(new URL(fuzz.node.daemon.url).port);
    control = new Agent({ connections: 1 });
  });
  after(async () => {
    connection?.destroy();
    await control.close();
    await fuzz.node.stop();
  });

  /** A well-formed request on a separate keep-alive connection: the node still serves. */
  async function stillServes(): Promise<void> {
    const res = await control.request({ origin: fuzz.node.daemon.url, path: '/after', method: 'GET', headers: { host: 'echo.localhost' }, headersTimeout: CASE_DEADLINE_MS, bodyTimeout: CASE_DEADLINE_MS });
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'GET /after\n');
  }

  it(`raw requests are answered with a status or a close, never a 5xx, and the node keeps serving (${fuzzRuns(RUNS)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const outcome = await within(run(c), 2 * CASE_DEADLINE_MS, 'the case').catch((e: unknown) => {
          // A failed case leaves its connection behind: shrinking must replay on a fresh one.
          connection?.destroy();
          connection = null;
          throw e;
        });
        check(c, outcome);
        // The sentinel already was the well-formed request right after; otherwise ask on the side.
        if (!outcome.sentinel || outcome.closed || outcome.switched) await within(stillServes(), 2 * CASE_DEADLINE_MS, 'a well-formed request after the case');
      }),
      fuzzParameters(RUNS),
    );
  });

  describe('regressions found by fuzzing', () => {
    it('a pipelined request with Expect: 100-continue gets its answer whole (Node put the 100 Continue inside it)', async () => {
      const conn = await RawConnection.open(port);
      try {
        conn.write(Buffer.from(`GET /a HTTP/1.1${CRLF}${HOST}${CRLF}POST /b HTTP/1.1${CRLF}${HOST}Expect: 100-continue${CRLF}Content-Length: 3${CRLF}${CRLF}abc`));
        const parsed = () => parseResponses(conn.received, () => false, conn.closed);
        assert.ok(await conn.until(() => parsed().responses.length === 2 || parsed().malformed !== null, CASE_DEADLINE_MS));
        assert.equal(parsed().malformed, null);
        assert.deepEqual(parsed().responses.map((r) => r.body.toString()), ['GET /a\n', 'POST /b\nabc']);
      } finally {
        conn.destroy();
      }
    });

    it('a request with Expect: 100-continue alone still gets its 100 Continue before it sends the body', async () => {
      const conn = await RawConnection.open(port);
      try {
        conn.write(Buffer.from(`POST /c HTTP/1.1${CRLF}${HOST}Expect: 100-continue${CRLF}Content-Length: 3${CRLF}${CRLF}`));
        assert.ok(await conn.until(() => conn.received.toString().startsWith(`HTTP/1.1 100 Continue${CRLF}${CRLF}`), CASE_DEADLINE_MS));
        conn.write(Buffer.from('xyz'));
        const parsed = () => parseResponses(conn.received, () => false, conn.closed);
        assert.ok(await conn.until(() => parsed().responses.length === 1, CASE_DEADLINE_MS));
        assert.equal(parsed().responses[0].body.toString(), 'POST /c\nxyz');
      } finally {
        conn.destroy();
      }
    });

    it('an Upgrade pipelined behind a request still being answered closes that connection, and no longer ends the node', async () => {
      const conn = await RawConnection.open(port);
      conn.write(Buffer.from(`POST / HTTP/1.1${CRLF}${HOST}Content-Length: 3${CRLF}${CRLF}abcGET / HTTP/1.1${CRLF}${HOST}Connection: upgrade${CRLF}Upgrade: h2c${CRLF}${CRLF}`));
      assert.ok(await conn.until(() => conn.closed, CASE_DEADLINE_MS), 'the connection is closed');
      await stillServes();
    });

    it('a response Node refuses to send (a Trailer on a framed body) is a 500, not an unhandled rejection that ends the node', async () => {
      // Apps cannot send one any more (the WAGI parser drops it like the other runtimes); the front door must survive it anyway.
      const trailing = new Ingress({ dispatch: async () => ({ status: 200, headers: [['trailer', 'x-sum']], body: new Uint8Array(2) }) }, null, { host: '127.0.0.1', port: 0 });
      trailing.routes.setApp('trailing', []);
      const { port: trailingPort } = await trailing.listen();
      try {
        for (let i = 0; i < 2; i++) {
          const res = await request(`http://127.0.0.1:${trailingPort}/`, { headers: { host: 'trailing.localhost' } });
          assert.equal(res.statusCode, 500);
          assert.equal(((await res.body.json()) as { error: string }).error, 'internal');
        }
      } finally {
        await trailing.close();
      }
    });
  });
});

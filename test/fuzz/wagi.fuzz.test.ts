/**
 * The WAGI response parser under hostile output: whatever bytes a CGI program prints end as a
 * response the ingress can write, or a SandboxError 'bad_response' saying what is wrong, in bounded
 * time; nothing else escapes. Valid outputs are parsed exactly.
 */
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { writeResponse } from '../../src/ingress/server.js';
import { SandboxError } from '../../src/runtime/errors.js';
import type { GuestResponse } from '../../src/runtime/request.js';
import { MAX_CGI_HEADER_BYTES, parseCgiResponse } from '../../src/runtime/wasm/wagi.js';
import { byteMutation, mutate } from './byte-mutations.js';
import { fuzzParameters, fuzzRuns, fuzzSuite } from './runs.js';

const RUNS = 2000;
/** Parsing is linear in the header section; even 16 MiB of output is a few milliseconds. */
const MAX_PARSE_MS = 1000;
const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
/** Headers that are the server's business (framing, the connection): a program's claims must not reach the client. */
const HOP_BY_HOP = ['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer'];

/** Parses `output`; anything but a writable response or a well-formed bad_response fails the property. */
function parse(output: Uint8Array): GuestResponse | SandboxError {
  const started = performance.now();
  let response: GuestResponse;
  try {
    response = parseCgiResponse(output);
  } catch (e) {
    if (!(e instanceof SandboxError)) throw new Error(`escaped a non-typed error: ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.code, 'bad_response');
    assert.equal(e.httpStatus, 502);
    assert.equal(e.fatal, false, 'a bad response does not end the instance');
    assert.match(e.message, /^the app's CGI response is malformed: ./);
    assert.ok(e.message.length < 300, `a message of bounded size: ${e.message.slice(0, 300)}…`);
    assert.ok(e.hint.length > 0);
    return e;
  } finally {
    const elapsed = performance.now() - started;
    assert.ok(elapsed < MAX_PARSE_MS, `parsing took ${elapsed.toFixed(0)} ms`);
  }
  assertWritable(response, output);
  return response;
}

/** What the ingress relies on: a final status, headers Node accepts, no framing, the body being the output's tail. */
function assertWritable(r: GuestResponse, output: Uint8Array): void {
  assert.ok(Number.isInteger(r.status) && r.status >= 200 && r.status <= 599, `a final status, not ${r.status}`);
  for (const [name, value] of r.headers) {
    assert.equal(name, name.toLowerCase());
    assert.ok(!HOP_BY_HOP.includes(name) && name !== 'status', `${name} must not be passed on`);
    validateHeaderName(name);
    validateHeaderValue(name, value);
  }
  assert.ok(r.body instanceof Uint8Array && !Buffer.isBuffer(r.body), 'a plain Uint8Array (structured-cloneable)');
  assert.deepEqual(Buffer.from(r.body), Buffer.from(output.subarray(output.length - r.body.length)));
  writeResponse(new ServerResponse(new IncomingMessage(new Socket())), r);
}

const eol = fc.constantFrom('\n', '\r\n', '\n', '\r\n', '\r', '\n\r');
const headerName = fc.oneof(
  fc.constantFrom('Content-Type', 'Status', 'Location', 'Set-Cookie', 'status', 'LOCATION', ...HOP_BY_HOP, 'Trailer', 'Expect', 'Date', 'Proxy-Connection', 'TE'),
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/),
  fc.string({ maxLength: 8 }),
);
const headerValue = fc.oneof(
  fc.constantFrom('text/plain', '200', '200 OK', '204', '302 Found', '404\tNot Found', '599', '99', '100', '100 Continue', '101', '199', '600', '0200', '2000', 'abc', '/x', '', '  spaced  ', 'chunked', 'close', 'x, y'),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const cgiLike = fc
  .record({
    headers: fc.array(fc.tuple(headerName, fc.constantFrom(':', ': ', ':\t', ' : ', ''), headerValue, eol), { maxLength: 8 }),
    end: fc.oneof(eol, fc.constant('')),
    body: fc.uint8Array({ maxLength: 200 }),
  })
  .map(({ headers, end, body }) => Buffer.concat([latin1(headers.map(([n, sep, v, nl]) => `${n}${sep}${v}${nl}`).join('') + end), body]));
const tokens = fc.constantFrom('\r\n', '\n', '\r', '\n\n', ':', ' ', '\t', '\0', '\x7f', '\xff', 'Status: 200\n', 'Status: 101\n', 'Trailer: x\n', 'Content-Type: a\n').map(latin1);
const mutation = byteMutation(fc.oneof(tokens, fc.uint8Array({ minLength: 1, maxLength: 16 })));

/** A header value as the parser gives it back: visible latin1 text with inner blanks, trimmed like the parser trims. */
const visibleText = fc
  .string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 20 })
  .map((text) => text.trim());

/** Valid responses: token names, values without control characters or outer blanks, and one of Content-Type, Location, Status. */
const validCgi = fc
  .record({
    status: fc.option(fc.tuple(fc.integer({ min: 200, max: 599 }), fc.constantFrom('', ' OK', '\tGone Away'))),
    type: fc.option(fc.constantFrom('text/plain', 'application/json; charset=utf-8')),
    location: fc.option(fc.constantFrom('/x', 'https://example.com/a?b=c')),
    extra: fc.array(fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/), visibleText), { maxLength: 4 }),
    eol: fc.constantFrom('\n', '\r\n'),
    body: fc.uint8Array({ maxLength: 300 }),
  })
  .filter((r) => r.status !== null || r.type !== null || r.location !== null);

/** Outputs far bigger than any header section, built once: a body of 1 MiB, no blank line at all, thousands of header lines. */
const MIB = 1 << 20;
const large = [
  Buffer.concat([latin1('Content-Type: application/octet-stream\r\n\r\n'), Buffer.alloc(MIB, 0x61)]),
  Buffer.alloc(MIB, 0x61),
  Buffer.alloc(MIB, 0x0a),
  latin1(`Content-Type: text/plain\n${'X-A: b\n'.repeat(Math.floor(MAX_CGI_HEADER_BYTES / 7) - 4)}\nbody`),
  latin1(`Content-Type: text/plain\n${'X-A: b\n'.repeat(MAX_CGI_HEADER_BYTES / 4)}\nbody`),
  latin1(`X-${'a'.repeat(MAX_CGI_HEADER_BYTES - 20)}: b\n\n`),
  latin1(`Content-Type: text/plain\nX-${'a'.repeat(MAX_CGI_HEADER_BYTES)}: b\n\n`),
  latin1(`Content-Type: ${'\t'.repeat(MAX_CGI_HEADER_BYTES - 20)}\n\n`),
];

describe(fuzzSuite('WAGI response fuzzing'), () => {
  it(`arbitrary bytes give a response or a bad_response (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'binary' }).map(latin1)), (bytes) => void parse(bytes)), fuzzParameters(RUNS));
  });

  it(`near-valid CGI output, mutated, gives a response or a bad_response (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(fc.property(cgiLike, fc.array(mutation, { maxLength: 3 }), (output, mutations) => void parse(mutate(output, mutations))), fuzzParameters(RUNS));
  });

  it(`valid CGI output is parsed exactly (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(
      fc.property(validCgi, ({ status, type, location, extra, eol: nl, body }) => {
        const headers: Array<[string, string]> = [...(type ? [['Content-Type', type] as [string, string]] : []), ...(location ? [['Location', location] as [string, string]] : []), ...extra];
        const lines = [...(status ? [`Status: ${status[0]}${status[1]}`] : []), ...headers.map(([n, v]) => `${n}: ${v}`)];
        const r = parse(Buffer.concat([latin1(lines.map((l) => `${l}${nl}`).join('') + nl), body]));
        assert.ok(!(r instanceof SandboxError), r instanceof SandboxError ? r.message : '');
        assert.equal(r.status, status ? status[0] : location ? 302 : 200);
        assert.deepEqual(r.headers, headers.map(([n, v]) => [n.toLowerCase(), v]));
        assert.deepEqual(Buffer.from(r.body), Buffer.from(body));
      }),
      fuzzParameters(RUNS),
    );
  });

  it(`large outputs, mutated, are parsed or refused in bounded time (${fuzzRuns(RUNS / 10)} runs)`, () => {
    fc.assert(fc.property(fc.constantFrom(...large), fc.array(mutation, { maxLength: 2 }), (output, mutations) => void parse(mutate(output, mutations))), fuzzParameters(RUNS / 10));
  });

  it('16 MiB of output is parsed or refused in bounded time', () => {
    const body = Buffer.alloc(16 * MIB, 0x62);
    assert.equal((parse(Buffer.concat([latin1('Content-Type: x\n\n'), body])) as GuestResponse).body.length, body.length);
    assert.ok(parse(body) instanceof SandboxError);
    assert.ok(parse(Buffer.alloc(16 * MIB, 0x0d)) instanceof SandboxError);
  });

  describe('regressions found by fuzzing', () => {
    it('a 1xx Status is refused: it is not a final response, and a client would wait for the real one', () => {
      for (const status of ['100', '101 Switching Protocols', '103', '199']) {
        const r = parse(latin1(`Status: ${status}\nContent-Type: text/plain\n\nbody`));
        assert.ok(r instanceof SandboxError && /Status must be/.test(r.message), `Status: ${status}`);
      }
    });

    it('connection-level headers (Trailer, Keep-Alive, Upgrade) are dropped: Node refuses a Trailer on a framed body', () => {
      const r = parse(latin1('Content-Type: text/plain\nTrailer: x-sum\nKeep-Alive: timeout=1\nUpgrade: websocket\nX-Kept: yes\n\nbody'));
      assert.ok(!(r instanceof SandboxError));
      assert.deepEqual(r.headers, [['content-type', 'text/plain'], ['x-kept', 'yes']]);
    });

    it('a huge header name is not copied whole into the error message', () => {
      const r = parse(latin1(`Content-Type: text/plain\nX-${'a'.repeat(60_000)}: \x01\n\n`));
      assert.ok(r instanceof SandboxError && /control character/.test(r.message));
    });
  });
});

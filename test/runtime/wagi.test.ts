// WAGI: requests become CGI environments and stdin, and a CGI program's stdout becomes the response.
// The C CGI fixture runs unchanged, one fresh instance per request.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { buildCFixtures } from '../fixtures/c/build.mjs';
import { SandboxError } from '../../src/runtime/errors.js';
import type { GuestRequest, GuestResponse } from '../../src/runtime/request.js';
import { cgiArguments, cgiEnvironment, MAX_CGI_HEADER_BYTES, parseCgiResponse } from '../../src/runtime/wasm/wagi.js';
import { WasiCommand } from '../../src/runtime/wasm/wasi/command.js';

const text = (s: string) => Buffer.from(s);
const request = (r: Partial<GuestRequest>): GuestRequest => ({ method: 'GET', url: '/', headers: [], body: new Uint8Array(0), ...r });

function isBadResponse(e: unknown): boolean {
  return e instanceof SandboxError && e.code === 'bad_response' && e.httpStatus === 502;
}

describe('parseCgiResponse', () => {
  it('splits headers from the body with \\n or \\r\\n, keeping the body bytes as they are', () => {
    for (const nl of ['\n', '\r\n']) {
      const r = parseCgiResponse(text(`Content-Type: text/plain${nl}X-Thing:  spaced value ${nl}${nl}body\r\nwith\nlines\n`));
      assert.equal(r.status, 200);
      assert.deepEqual(r.headers, [['content-type', 'text/plain'], ['x-thing', 'spaced value']]);
      assert.equal(Buffer.from(r.body).toString(), 'body\r\nwith\nlines\n');
    }
    const binary = Uint8Array.from([0, 255, 10, 10, 13]);
    assert.deepEqual(parseCgiResponse(Buffer.concat([text('Content-Type: application/octet-stream\n\n'), binary])).body, binary);
  });

  it('takes the status from Status (its reason is optional) and makes a bare Location a 302', () => {
    assert.equal(parseCgiResponse(text('Status: 404 Not Found\nContent-Type: text/plain\n\n')).status, 404);
    assert.equal(parseCgiResponse(text('Status: 204\n\n')).status, 204);
    const redirect = parseCgiResponse(text('Location: https://example.com/\n\n'));
    assert.equal(redirect.status, 302);
    assert.deepEqual(redirect.headers, [['location', 'https://example.com/']]);
    assert.equal(parseCgiResponse(text('Status: 301 Moved\nLocation: /new\n\n')).status, 301);
  });

  it('drops framing headers: the server frames the body it got', () => {
    const r = parseCgiResponse(text('Content-Type: text/plain\nContent-Length: 999\nTransfer-Encoding: chunked\n\nhi'));
    assert.deepEqual(r.headers, [['content-type', 'text/plain']]);
  });

  const malformed: Array<[string, string | Uint8Array, RegExp]> = [
    ['empty output', '', /wrote nothing/],
    ['a body with no headers', 'hello world\n', /line 1 is not a header/],
    ['headers never ended', 'Content-Type: text/plain\n', /no blank line/],
    ['no CGI header', 'X-Only: this\n\nbody', /none of Content-Type, Location or Status/],
    ['a bad status', 'Status: two hundred\n\n', /Status must be a code/],
    ['a status out of range', 'Status: 999\n\n', /Status must be a code/],
    ['two statuses', 'Status: 200\nStatus: 404\n\n', /appears twice/],
    ['a header name with a space', 'Content Type: text/plain\n\n', /line 1 is not a header/],
    ['a control character', 'Content-Type: text/\x01plain\n\n', /control character/],
    ['oversized headers', `Content-Type: text/plain\nX-Big: ${'a'.repeat(MAX_CGI_HEADER_BYTES)}\n\n`, /first 65536 bytes/],
  ];
  for (const [title, output, message] of malformed) {
    it(`refuses ${title} with a bad_response error`, () => {
      assert.throws(() => parseCgiResponse(typeof output === 'string' ? text(output) : output), (e: unknown) => isBadResponse(e) && message.test((e as Error).message));
    });
  }

  it('throws nothing but bad_response on arbitrary bytes', () => {
    const valid = text('Status: 200 OK\r\nContent-Type: text/html\r\nLocation: /x\r\n\r\n<p>hi</p>');
    const mutated = fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.nat(valid.length), fc.nat(8)).map(([insert, at, cut]) =>
      Buffer.concat([valid.subarray(0, at), insert, valid.subarray(Math.min(valid.length, at + cut))]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated, fc.string().map(text)), (bytes) => {
        try {
          const r: GuestResponse = parseCgiResponse(bytes);
          assert.ok(r.status >= 100 && r.status <= 599);
        } catch (e) {
          if (!isBadResponse(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('cgiEnvironment', () => {
  const req = request({
    method: 'POST',
    url: '/app/hello%20world/x?name=ada&x=%2F#frag',
    headers: [['host', 'example.com:8080'], ['content-type', 'text/plain'], ['accept', 'a'], ['accept', 'b'], ['cookie', 'a=1'], ['cookie', 'b=2'],
      ['user-agent', 'test'], ['x_forwarded_for', 'spoof'], ['proxy', 'http://evil'], ['content-length', '5']],
    body: text('hello'),
  });
  const env = new Map(cgiEnvironment(req, { scriptName: '/app', remoteAddr: '10.0.0.1' }));

  it('sets the RFC 3875 variables from the request', () => {
    assert.equal(env.get('REQUEST_METHOD'), 'POST');
    assert.equal(env.get('SCRIPT_NAME'), '/app');
    assert.equal(env.get('PATH_INFO'), '/hello world/x');
    assert.equal(env.get('X_RAW_PATH_INFO'), '/hello%20world/x');
    assert.equal(env.get('QUERY_STRING'), 'name=ada&x=%2F');
    assert.equal(env.get('CONTENT_TYPE'), 'text/plain');
    assert.equal(env.get('CONTENT_LENGTH'), '5');
    assert.equal(env.get('SERVER_NAME'), 'example.com');
    assert.equal(env.get('SERVER_PORT'), '8080');
    assert.equal(env.get('SERVER_PROTOCOL'), 'HTTP/1.1');
    assert.equal(env.get('GATEWAY_INTERFACE'), 'CGI/1.1');
    assert.equal(env.get('REMOTE_ADDR'), '10.0.0.1');
    assert.equal(env.get('X_FULL_URL'), 'http://example.com:8080/app/hello%20world/x?name=ada&x=%2F#frag');
  });

  it('passes headers as HTTP_*, joining repeats, but not ones that could pose as others', () => {
    assert.equal(env.get('HTTP_ACCEPT'), 'a, b');
    assert.equal(env.get('HTTP_COOKIE'), 'a=1; b=2');
    assert.equal(env.get('HTTP_USER_AGENT'), 'test');
    assert.equal(env.get('HTTP_HOST'), 'example.com:8080');
    for (const absent of ['HTTP_X_FORWARDED_FOR', 'HTTP_PROXY', 'HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH']) assert.equal(env.has(absent), false, absent);
  });

  it('gives query parameters as arguments, as WAGI does', () => {
    assert.deepEqual(cgiArguments('app', request({ url: '/?a=1&b=two+words&c=%26' })), ['app', 'a=1', 'b=two words', 'c=&']);
    assert.deepEqual(cgiArguments('app', request({ url: '/x' })), ['app']);
  });
});

describe('a C CGI program served unchanged', () => {
  let cgi: WasiCommand;
  before(async () => {
    cgi = await WasiCommand.compile(readFileSync(buildCFixtures().wasm('cgi')));
  });

  /** One request: a fresh instance of the command module, its stdout parsed as a CGI response. */
  function serve(req: GuestRequest): GuestResponse {
    const stdout: Uint8Array[] = [];
    const { exitCode } = cgi.run({
      args: cgiArguments('cgi', req),
      env: cgiEnvironment(req),
      stdin: req.body,
      stdio: { write: (fd, bytes) => { if (fd === 1) stdout.push(bytes.slice()); } },
    });
    assert.equal(exitCode, 0);
    return parseCgiResponse(Buffer.concat(stdout));
  }

  it('answers a GET from its environment', () => {
    const r = serve(request({ url: '/greet?who=world', headers: [['user-agent', 'flick-test'], ['x-custom', 'yes']] }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers, [['content-type', 'text/plain; charset=utf-8'], ['x-request-method', 'GET']]);
    assert.equal(Buffer.from(r.body).toString(), [
      'method=GET', 'path=/greet', 'query=who=world', 'content-type=', 'content-length=0', 'protocol=HTTP/1.1', 'arg=who=world',
      'HTTP_USER_AGENT=flick-test', 'HTTP_X_CUSTOM=yes', 'body=', ''].join('\n'));
  });

  it('reads a POST body from stdin', () => {
    const r = serve(request({ method: 'POST', url: '/submit', headers: [['content-type', 'application/json']], body: text('{"n":1}') }));
    const body = Buffer.from(r.body).toString();
    assert.match(body, /^method=POST$/m);
    assert.match(body, /^content-type=application\/json$/m);
    assert.match(body, /^content-length=7$/m);
    assert.match(body, /^body=\{"n":1\}$/m);
  });

  it('sets its own status and redirects', () => {
    const missing = serve(request({ url: '/missing' }));
    assert.equal(missing.status, 404);
    assert.equal(Buffer.from(missing.body).toString(), 'no page at /missing\n');
    const moved = serve(request({ url: '/redirect' }));
    assert.equal(moved.status, 302);
    assert.deepEqual(moved.headers, [['location', '/elsewhere']]);
  });
});

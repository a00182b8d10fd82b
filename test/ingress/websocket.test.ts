/**
 * WebSocket on the ingress port, end to end: a real node (Daemon) serving examples/chat, whose
 * instances are keyed by room (path segment 1); and an Ingress over a scripted dispatcher for what
 * a real app cannot easily provoke (a stalled app, refusals, failures).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Ingress } from '../../src/ingress/server.js';
import type { GuestRequest, GuestResponse } from '../../src/runtime/request.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { SocketInbox } from './socket-inbox.js';
import { chatImage, eventually, refusal } from './ws-fixtures.js';

describe('WebSocket through a node serving examples/chat', () => {
  let node: TestNode;
  let port: number;
  const room = (name: string, opts: { host?: string; headers?: Record<string, string> } = {}) =>
    SocketInbox.open(`ws://127.0.0.1:${port}/rooms/${name}`, { headers: { host: opts.host ?? 'chat.localhost', ...opts.headers } });
  const get = async (path: string) => (await node.ask('chat', path)).text;

  before(async () => {
    node = await startNode();
    port = Number(new URL(node.daemon.url).port);
    await node.deploy(await chatImage());
  });

  after(async () => {
    await node.stop();
  });

  it('delivers messages to the instance of the socket key: shared within a room, separate across rooms', async () => {
    const a1 = await room('alpha');
    assert.match((await a1.next()).text, /^joined alpha as #\d+ \(1 here\)$/);
    const a2 = await room('alpha');
    assert.match((await a2.next()).text, /\(2 here\)$/);
    const b1 = await room('beta');
    assert.match((await b1.next()).text, /^joined beta as #\d+ \(1 here\)$/);

    assert.equal(await a1.ask('hi'), 'alpha #1: hi');
    assert.equal(await a2.ask('yo'), 'alpha #2: yo');
    assert.equal(await b1.ask('x'), 'beta #1: x');
    assert.equal(await a1.ask('again'), 'alpha #3: again');

    // Binary in, binary out.
    a2.ws.send(Buffer.from([0, 1, 2, 255]));
    const echoed = await a2.next();
    assert.equal(echoed.binary, true);
    assert.deepEqual([...echoed.data], [0, 1, 2, 255]);

    // The app closes a socket when asked to.
    b1.ws.send('/leave');
    assert.deepEqual(await b1.closed, { code: 4000, reason: 'left beta' });

    await Promise.all([a1.close(), a2.close()]);
    // Plain HTTP to the same URL reaches the same instance, which heard every open and close.
    await eventually(() => get('/rooms/alpha'), 'alpha: 0 here, 4 messages\n');
    await eventually(() => get('/rooms/beta'), 'beta: 0 here, 2 messages\n');
  });

  it('refuses an upgrade for no app with 404', async () => {
    const e = await refusal(room('x', { host: 'nope.localhost' }));
    assert.equal(e.status, 404);
    assert.equal(JSON.parse(e.body).error, 'no_route');
    assert.equal((await refusal(SocketInbox.open(`ws://127.0.0.1:${port}/_flick/api/apps`))).status, 404);
  });

  it('refuses an upgrade whose head is over the header limit with 431', async () => {
    const e = await refusal(room('big', { headers: { 'x-padding': 'p'.repeat(20 << 10) } }));
    assert.equal(e.status, 431);
  });

  it('closes a socket that sends a message over the body limit with 1009', async () => {
    const s = await room('gamma');
    await s.next();
    s.ws.send(Buffer.alloc((1 << 20) + 1));
    assert.equal((await s.closed).code, 1009);
    await eventually(() => get('/rooms/gamma'), 'gamma: 0 here, 0 messages\n');
  });

  it('opens and closes many sockets cleanly, and the node stays healthy', async () => {
    const n = 400;
    const sockets = await Promise.all(Array.from({ length: n }, (_, i) => room(`many${i % 4}`)));
    const greetings = await Promise.all(sockets.map((s) => s.next()));
    assert.ok(greetings.every((g) => g.text.startsWith('joined many')));
    const answers = await Promise.all(sockets.map((s, i) => s.ask(`m${i}`)));
    assert.equal(new Set(answers).size, n, 'every message got its own answer');
    assert.ok(node.daemon.ingress.websockets.open >= n);
    const codes = await Promise.all(sockets.map((s) => s.close()));
    assert.ok(codes.every((c) => c.code === 1000));
    await eventually(() => node.daemon.ingress.websockets.open, 0);
    for (let r = 0; r < 4; r++) await eventually(() => get(`/rooms/many${r}`), `many${r}: 0 here, ${n / 4} messages\n`);
    // Still serving: a new socket and plain HTTP both work.
    const s = await room('after');
    await s.next();
    assert.equal(await s.ask('ok'), 'after #1: ok');
    await s.close();
  });
});

/** An app scripted by the test: each event becomes a call the test can inspect and answer. */
class ScriptedApp {
  readonly calls: Array<{ request: GuestRequest; answer: (r: GuestResponse | Error) => void }> = [];
  private readonly waiting: Array<() => void> = [];
  onCall: (request: GuestRequest) => GuestResponse | Error | null = () => null;

  dispatch = (_app: string, request: GuestRequest): Promise<GuestResponse> =>
    new Promise((resolve, reject) => {
      const answer = (r: GuestResponse | Error) => (r instanceof Error ? reject(r) : resolve(r));
      const immediate = this.onCall(request);
      if (immediate) return answer(immediate);
      this.calls.push({ request, answer });
      for (const w of this.waiting.splice(0)) w();
    });

  async callCount(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((r) => this.waiting.push(r));
  }
}

const text = (body: string, headers: Array<[string, string]> = []): GuestResponse => ({ status: 200, headers, body: Buffer.from(body) });
const event = (r: GuestRequest) => r.headers.find(([k]) => k === 'flick-websocket')?.[1];
const httpError = (status: number, code: string) => Object.assign(new Error(code), { httpStatus: status, code, hint: 'h' });

describe('WebSocket ingress over a scripted app', () => {
  let ingress: Ingress;
  let app: ScriptedApp;
  let port: number;
  const open = (path = '/', headers: Record<string, string> = {}) => SocketInbox.open(`ws://127.0.0.1:${port}${path}`, { headers: { host: 'app.localhost', ...headers } });

  before(async () => {
    app = new ScriptedApp();
    ingress = new Ingress({ dispatch: app.dispatch }, null, { host: '127.0.0.1', port: 0, maxQueuedMessages: 4, gate: { limit: 2, queue: 0 } });
    ingress.routes.setApp('app', []);
    port = (await ingress.listen()).port;
  });

  after(() => ingress.close());

  it('gives the app the upgrade request as the open event, with the key-bearing headers and without the handshake ones', async () => {
    app.onCall = () => text('');
    const s = await open('/room/7?x=1', { 'flick-key': 'k1', cookie: 'a=b' });
    app.onCall = () => null;
    await s.close();
    const { request } = (await waitForCall(app, 'close'));
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/room/7?x=1');
    const names = request.headers.map(([k]) => k);
    assert.ok(names.includes('flick-key') && names.includes('cookie') && names.includes('flick-websocket-id'));
    assert.ok(!names.includes('sec-websocket-key') && !names.includes('upgrade'));
    assert.equal(request.headers.find(([k]) => k === 'flick-websocket-close')?.[1], '1000');
    app.calls.splice(0).forEach((c) => c.answer(text('')));
  });

  it('lets the app refuse the upgrade with its own HTTP answer', async () => {
    app.onCall = () => ({ status: 403, headers: [['content-type', 'text/plain']], body: Buffer.from('members only') });
    const e = await refusal(open());
    assert.equal(e.status, 403);
    assert.equal(e.body, 'members only');
  });

  it('tells the app `close` (1006) when the handshake fails after it accepted `open`', async () => {
    app.onCall = (r) => (event(r) === 'open' ? text('') : null);
    const status = await new Promise<number>((resolve, reject) => {
      const headers = { host: 'app.localhost', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'not a key' };
      request({ host: '127.0.0.1', port, path: '/bad', headers }, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end();
    });
    assert.equal(status, 400);
    const { request: closed, answer } = await waitForCall(app, 'close');
    assert.equal(closed.url, '/bad');
    assert.equal(closed.headers.find(([k]) => k === 'flick-websocket-close')?.[1], '1006');
    answer(text(''));
    app.calls.splice(0);
  });

  it('pauses reading when a connection has maxQueuedMessages waiting, and delivers everything in order after', async () => {
    app.onCall = (r) => (event(r) === 'open' ? text('') : null);
    const s = await open();
    const sent = 200;
    const pad = '.'.repeat(16 << 10); // big enough that one socket read carries only a few messages
    for (let i = 0; i < sent; i++) s.ws.send(`m${i}${pad}`);
    await app.callCount(1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(app.calls.length, 1, 'one message at a time per connection');
    const read = ingress.websockets.stats.messages;
    assert.ok(read < 40, `reading paused: ${read} of ${sent} messages read while the app was stalled`);
    app.onCall = (r) => (event(r) === 'message' ? text(`re ${Buffer.from(r.body).toString().replace(pad, '')}`) : null);
    app.calls.shift()!.answer(text('re m0'));
    await eventually(() => ingress.websockets.stats.messages, sent);
    for (let i = 0; i < sent; i++) assert.equal((await s.next()).text, `re m${i}`);
    await s.close();
    app.calls.splice(0).forEach((c) => c.answer(text('')));
  });

  it('answers 503 with Retry-After when the app gate is full, and closes with 1011 when delivery fails', async () => {
    app.onCall = () => null; // opens hang: two fill the gate (limit 2, queue 0)
    const hanging = [open(), open()];
    await app.callCount(2);
    const e = await refusal(open());
    assert.equal(e.status, 503);
    assert.equal(e.headers['retry-after'], '1');
    app.calls.splice(0).forEach((c) => c.answer(text('')));
    const [s1, s2] = await Promise.all(hanging);
    app.onCall = () => httpError(502, 'trap');
    s1.ws.send('boom');
    assert.deepEqual(await s1.closed, { code: 1011, reason: 'trap' });
    app.onCall = () => text('', [['flick-websocket-close', 'not-a-code']]);
    s2.ws.send('x');
    assert.equal((await s2.closed).code, 1011);
  });
});

async function waitForCall(app: ScriptedApp, ev: string): Promise<ScriptedApp['calls'][number]> {
  for (let i = 0; i < 200; i++) {
    const c = app.calls.find((x) => event(x.request) === ev);
    if (c) return c;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`no ${ev} event reached the app`);
}

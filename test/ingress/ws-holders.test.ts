/**
 * WebSockets held by holder processes (`--ws-holders N`): the same semantics as in-process sockets
 * (websocket.test.ts), with the sockets in child processes. A real node serving examples/chat, and
 * an Ingress over a scripted app for the app's refusals; then a holder is killed under its clients.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ingress } from '../../src/ingress/server.js';
import type { HolderExit } from '../../src/ingress/ws-holder/pool.js';
import { holdersFor, HOLDER_FILE_RESERVE, MAX_AUTO_HOLDERS } from '../../src/ingress/ws-holder/sizing.js';
import type { GuestResponse } from '../../src/runtime/request.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { SocketInbox } from './socket-inbox.js';
import { chatImage, eventually, refusal } from './ws-fixtures.js';

describe('WebSocket holders sizing', () => {
  it('holds sockets in the node process when its open-file limit is enough, else in enough holders', () => {
    assert.equal(holdersFor(1_048_576), 0);
    assert.equal(holdersFor(null), 0);
    assert.equal(holdersFor(20_000), Math.ceil(100_000 / (20_000 - HOLDER_FILE_RESERVE)));
    assert.equal(holdersFor(1024), MAX_AUTO_HOLDERS);
  });
});

describe('WebSocket through holder processes, a node serving examples/chat', () => {
  let node: TestNode;
  let port: number;
  const exits: HolderExit[] = [];
  const restarts: number[] = [];
  const room = (name: string) => SocketInbox.open(`ws://127.0.0.1:${port}/rooms/${name}`, { headers: { host: 'chat.localhost' } });
  const get = async (path: string) => (await node.ask('chat', path)).text;
  const pool = () => node.daemon.ingress.websockets.holders!;

  before(async () => {
    node = await startNode({ ingress: { wsHolders: 2 } });
    port = Number(new URL(node.daemon.url).port);
    pool().on('exit', (e) => exits.push(e));
    pool().on('restart', (r) => restarts.push(r.pid));
    await node.deploy(await chatImage());
  });

  after(async () => {
    const pids = node.daemon.ingress.websockets.holders?.pids() ?? [];
    await node.stop();
    assert.deepEqual(pids.filter((pid) => existsSync(`/proc/${pid}`)), [], 'holders end with the node');
  });

  it('opens, relays messages both ways, closes from either side, and spreads sockets over the holders', async () => {
    assert.equal(pool().pids().length, 0, 'holders start with the first WebSocket, not with the node');
    const a1 = await room('alpha');
    assert.equal(pool().pids().length, 2);
    assert.match((await a1.next()).text, /^joined alpha as #\d+ \(1 here\)$/);
    const a2 = await room('alpha');
    assert.match((await a2.next()).text, /\(2 here\)$/);
    assert.deepEqual((await pool().stats()).map((s) => s.connections), [1, 1], 'one socket per holder');

    assert.equal(await a1.ask('hi'), 'alpha #1: hi');
    assert.equal(await a2.ask('yo'), 'alpha #2: yo');
    a2.ws.send(Buffer.from([0, 1, 2, 255]));
    const echoed = await a2.next();
    assert.equal(echoed.binary, true);
    assert.deepEqual([...echoed.data], [0, 1, 2, 255]);

    a1.ws.send('/leave');
    assert.deepEqual(await a1.closed, { code: 4000, reason: 'left alpha' });
    assert.equal((await a2.close()).code, 1000);
    await eventually(() => get('/rooms/alpha'), 'alpha: 0 here, 4 messages\n');
    await eventually(() => node.daemon.ingress.websockets.open, 0);
  });

  it('closes a socket that sends a message over the body limit with 1009, and the app hears the close', async () => {
    const s = await room('gamma');
    await s.next();
    s.ws.send(Buffer.alloc((1 << 20) + 1));
    assert.equal((await s.closed).code, 1009);
    await eventually(() => get('/rooms/gamma'), 'gamma: 0 here, 0 messages\n');
  });

  it('refuses an upgrade for no app with 404 from the main process', async () => {
    const e = await refusal(SocketInbox.open(`ws://127.0.0.1:${port}/`, { headers: { host: 'nope.localhost' } }));
    assert.equal(e.status, 404);
  });

  it('a killed holder: its clients see their sockets close, its apps hear close, the rest keep working, it is restarted', async () => {
    const sockets = await Promise.all(Array.from({ length: 6 }, () => room('delta')));
    await Promise.all(sockets.map((s) => s.next()));
    const [first, second] = await pool().stats();
    assert.equal(first.connections + second.connections, 6);
    process.kill(first.pid, 'SIGKILL');

    // The three on the killed holder close (no close frame can come from a dead process: 1006).
    const settled: Array<{ code: number } | null> = sockets.map(() => null);
    sockets.forEach((s, i) => void s.closed.then((c) => (settled[i] = c)));
    await eventually(() => settled.filter((c) => c !== null).length, first.connections, 10_000);
    await new Promise((r) => setTimeout(r, 200)); // and no more than those
    const closed = settled.filter((c) => c !== null);
    assert.equal(closed.length, first.connections);
    assert.ok(closed.every((c) => c!.code === 1006));
    await eventually(() => get('/rooms/delta').then((t) => t.split(',')[0]), `delta: ${second.connections} here`, 10_000);

    // The other holder's sockets still answer.
    const survivors = sockets.filter((_, i) => settled[i] === null);
    for (const s of survivors) assert.match(await s.ask('still?'), /^delta #\d+: still\?$/);

    // Logged through the exit event and restarted; new sockets work and use it again.
    await eventually(() => exits.length, 1, 10_000);
    assert.equal(exits[0].pid, first.pid);
    assert.equal(exits[0].connections, first.connections);
    assert.equal(exits[0].signal, 'SIGKILL');
    await eventually(() => restarts.length, 1, 10_000);
    assert.ok(!pool().pids().includes(first.pid) && pool().pids().length === 2);
    const fresh = await Promise.all(Array.from({ length: 4 }, () => room('delta')));
    await Promise.all(fresh.map((s) => s.next()));
    assert.match(await fresh[0].ask('new'), /^delta #\d+: new$/);
    const counts = (await pool().stats()).map((s) => s.connections);
    assert.equal(counts.reduce((a, b) => a + b), survivors.length + fresh.length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `spread by count: ${counts}`);

    // Plain HTTP never went through the holders.
    assert.equal((await node.ask('chat', '/rooms/delta')).status, 200);
    await Promise.all([...survivors, ...fresh].map((s) => s.close()));
  });
});

describe('WebSocket through holder processes, a scripted app', () => {
  let ingress: Ingress;
  let port: number;
  let answer: (event: string) => GuestResponse | null = () => null;
  const pending: Array<(r: GuestResponse) => void> = [];
  const open = () => SocketInbox.open(`ws://127.0.0.1:${port}/`, { headers: { host: 'app.localhost' } });
  const text = (body: string, headers: Array<[string, string]> = []): GuestResponse => ({ status: 200, headers, body: Buffer.from(body) });

  before(async () => {
    const dispatch = (_app: string, request: { headers: Array<[string, string]> }) =>
      new Promise<GuestResponse>((resolve) => {
        const r = answer(request.headers.find(([k]) => k === 'flick-websocket')?.[1] ?? '');
        if (r) resolve(r);
        else pending.push(resolve);
      });
    ingress = new Ingress({ dispatch }, null, { host: '127.0.0.1', port: 0, gate: { limit: 1, queue: 0 }, wsHolders: 1 });
    ingress.routes.setApp('app', []);
    port = (await ingress.listen()).port;
  });

  after(() => ingress.close());

  it('lets the app refuse the upgrade with its own HTTP answer, answered by the main process', async () => {
    answer = () => ({ status: 403, headers: [['content-type', 'text/plain']], body: Buffer.from('members only') });
    const e = await refusal(open());
    assert.equal(e.status, 403);
    assert.equal(e.body, 'members only');
    assert.equal(ingress.websockets.open, 0);
  });

  it('sends the greeting first, then the replies, and closes as the app asks', async () => {
    answer = (ev) => (ev === 'open' ? text('hello') : ev === 'message' ? text('bye', [['flick-websocket-close', '4001 done']]) : text(''));
    const s = await open();
    assert.equal((await s.next()).text, 'hello');
    s.ws.send('x');
    assert.equal((await s.next()).text, 'bye');
    assert.deepEqual(await s.closed, { code: 4001, reason: 'done' });
  });

  it('holds back replies to a client that does not read, and catches up once it reads', async () => {
    let messages = 0;
    const big = Buffer.alloc(4 << 20, 120); // a few of these fill the loopback socket's buffers
    answer = (ev) => {
      if (ev !== 'message') return text('');
      messages++;
      return { status: 200, headers: [], body: big };
    };
    const s = await open();
    const socket = (s.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const sent = 30;
    for (let i = 0; i < sent; i++) s.ws.send(`m${i}`);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(messages < 12, `replies waited for the socket: ${messages} of ${sent} messages reached the app`);
    socket.resume();
    for (let i = 0; i < sent; i++) assert.equal((await s.next()).data.byteLength, big.byteLength);
    assert.equal(messages, sent);
    await s.close();
  });

  it('answers 503 with Retry-After when the app gate is full', async () => {
    answer = (ev) => (ev === 'close' ? text('') : null); // the first open hangs and fills the gate (limit 1, queue 0)
    const hanging = open();
    await eventually(() => pending.length, 1);
    const e = await refusal(open());
    assert.equal(e.status, 503);
    assert.equal(e.headers['retry-after'], '1');
    answer = () => text('');
    pending.splice(0).forEach((resolve) => resolve(text('')));
    await (await hanging).close();
  });
});

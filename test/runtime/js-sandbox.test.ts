/**
 * The JS sandbox with real apps: Workers-style handlers bundled as `flick build` bundles them, run
 * in isolates with their limits, state carried across snapshot/restore.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildImage } from '../../src/image/build.js';
import { decodeImage } from '../../src/image/format.js';
import { SandboxError } from '../../src/runtime/errors.js';
import { JsApp } from '../../src/runtime/js/app.js';
import type { JsInstance } from '../../src/runtime/js/instance.js';
import { acceptResponse, headerText } from '../../src/runtime/js/boundary.js';
import { FIXTURES, jsManifest, loadFixture, MemoryKv, request, text, type LogLine } from '../fixtures/js/harness.js';

async function rejectsWith(instance: JsInstance, path: string, code: string): Promise<SandboxError> {
  let caught: unknown;
  await instance.handle(request(path)).catch((e: unknown) => (caught = e));
  assert.ok(caught instanceof SandboxError, `expected a SandboxError for ${path}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.hint.length > 0);
  return caught;
}

describe('JS apps', () => {
  it('a hello app built by flick build answers', async () => {
    const built = await buildImage(`${FIXTURES}/hello`);
    const image = decodeImage(built.bytes);
    assert.equal(image.manifest.runtime, 'js');
    const app = new JsApp(image.manifest, image.code);
    const instance = app.spawn();
    const response = await instance.handle(request('/there'));
    assert.equal(response.status, 200);
    assert.equal(text(response), 'hi from /there');
    assert.deepEqual(response.headers, [['x-app', 'hello'], ['content-type', 'text/plain;charset=UTF-8']]);
    const stats = instance.stats();
    assert.equal(stats.calls, 1);
    assert.ok(stats.cpuUsed > 0 && stats.memoryBytes > 0);
    instance.dispose();
    assert.equal(instance.state, 'dead');
    app.close();
  });

  it('gives apps Request, Response, Headers, URL, encoders, crypto and console', async () => {
    const logs: LogLine[] = [];
    const app = await loadFixture('web-apis', {}, { log: (level, message) => logs.push([level, message]) });
    const response = await app.spawn().handle(
      request('/p/a?q=1&x=a&x=b', { method: 'POST', body: '{"k":[1,2]}', headers: [['host', 'h.example:8080'], ['user-agent', 'UA']] }),
    );
    assert.equal(response.status, 201);
    assert.deepEqual(JSON.parse(text(response)), {
      method: 'POST',
      href: 'http://h.example:8080/p/a?q=1&x=a&x=b',
      host: 'h.example:8080',
      path: '/p/a',
      q: '1',
      all: ['a', 'b'],
      ua: 'UA',
      body: { k: [1, 2] },
      relative: 'https://example.com/a/up?z=1#h',
      form: 'a=x+y&b=%C3%A9%26%3D',
      decoded: 'héllo 😀',
      encodedLength: 11,
      randomVaries: true,
      uuid: true,
      state: 'object',
    });
    // Repeated set-cookie kept apart; content-length set by the app is dropped (the platform frames the body).
    assert.deepEqual(response.headers, [['x-one', '1'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'application/json']]);
    assert.deepEqual(logs, [['info', 'saw POST /p/a'], ['warn', '{"warned":true}']]);
  });

  it('keeps env.state between calls and hands it over through snapshot and restore', async () => {
    const notes = new MemoryKv();
    const app = await loadFixture('counter', { name: 'counter', kv: ['notes'] }, { kv: new Map([['notes', notes]]) });
    const first = app.spawn();
    for (const expected of [1, 2, 3]) assert.equal(JSON.parse(text(await first.handle(request(`/n${expected}`)))).count, expected);
    assert.equal(JSON.parse(text(await first.handle(request('/n4')))).last, '/n4');
    const snap = first.snapshot();
    assert.deepEqual(JSON.parse(snap.stateJson), { count: 4, history: ['/n2', '/n3', '/n4'] });
    assert.equal(snap.calls, 4);
    first.dispose();

    const second = app.restore(structuredClone(snap));
    assert.equal(JSON.parse(text(await second.handle(request('/n5')))).count, 5);
    assert.equal(second.stats().calls, 5);
    // A fresh spawn starts from empty state.
    assert.equal(JSON.parse(text(await app.spawn().handle(request('/x')))).count, 1);
    // The state of another app is not this app's to restore.
    assert.throws(() => app.restore({ ...snap, app: 'other' }), (e: unknown) => e instanceof SandboxError && e.code === 'snapshot_invalid');
    assert.throws(() => app.restore({ ...snap, stateJson: '{' }), (e: unknown) => e instanceof SandboxError && e.code === 'snapshot_invalid');
  });

  it('refuses to snapshot state that is not JSON, and the instance keeps serving', async () => {
    const app = await loadFixture('counter', { name: 'counter' });
    const instance = app.spawn();
    await instance.handle(request('/cycle'));
    assert.throws(() => instance.snapshot(), (e: unknown) => e instanceof SandboxError && e.code === 'snapshot_invalid');
    assert.equal(instance.state, 'ready');
  });

  it('fails at load when the bundle has no fetch handler or imports modules', () => {
    const load = (source: string) => new JsApp(jsManifest(), new TextEncoder().encode(source));
    assert.throws(() => load('export default {}'), (e: unknown) => e instanceof SandboxError && e.code === 'trap' && /fetch/.test(e.hint));
    assert.throws(() => load('import fs from "node:fs"; export default { fetch() { return new Response(fs) } }'), /node:fs/);
    assert.throws(() => load('throw new Error("top-level")'), /top-level/);
    assert.throws(() => load('for (;;);'), (e: unknown) => e instanceof SandboxError && e.code === 'cpu_budget_exceeded');
  });
});

describe('JS isolate recycling', () => {
  const spares = (app: JsApp) => (app as unknown as { spares: unknown[] }).spares.length;

  it('an instance that reuses an ended instance\'s isolate sees none of its module state, globals or patched prototypes', async () => {
    const app = await loadFixture('recycle');
    try {
      const a = app.spawn();
      assert.equal(text(await a.handle(request('/taint'))), 'tainted');
      const before = spares(app);
      a.dispose();
      assert.equal(spares(app), before + 1, 'the clean end handed its isolate back');
      const b = app.spawn();
      assert.equal(spares(app), before, 'the next instance took that isolate');
      assert.deepEqual(JSON.parse(text(await b.handle(request('/look')))), { moduleHits: 0, taint: 'undefined', polluted: null, push: 1 });
      b.dispose();
    } finally {
      app.close();
    }
  });

  it('an instance that fails takes its isolate with it', async () => {
    const app = await loadFixture('recycle');
    try {
      const a = app.spawn();
      const before = spares(app);
      await assert.rejects(a.handle(request('/throw')));
      a.dispose();
      assert.equal(spares(app), before, 'a failed instance\'s isolate is not reused');
    } finally {
      app.close();
    }
  });
});

describe('JS limits', () => {
  it('stops a memory bomb with memory_limit_exceeded; the host and other isolates carry on', async () => {
    // CPU to spare, so the heap is what runs out.
    const app = await loadFixture('limits', { memoryMiB: 16, cpuMsPerCall: 5000, deadlineMs: 10_000 });
    const bystander = app.spawn();
    const heapBefore = process.memoryUsage().heapUsed;
    for (const path of ['/memory', '/buffers']) {
      const bomb = app.spawn();
      const error = await rejectsWith(bomb, path, 'memory_limit_exceeded');
      assert.ok(error.fatal);
      assert.equal(bomb.state, 'dead');
      await assert.rejects(bomb.handle(request('/')), (e: unknown) => e instanceof SandboxError && e.code === 'instance_dead');
    }
    assert.equal(text(await bystander.handle(request('/'))), 'fine');
    assert.equal(text(await app.spawn().handle(request('/'))), 'fine');
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'the bombs grew the host heap');
  });

  it('stops an infinite loop with cpu_budget_exceeded, before or after an await', async () => {
    const app = await loadFixture('limits', { cpuMsPerCall: 50 });
    for (const path of ['/loop', '/loop-after-await', '/atomics-wait']) {
      const instance = app.spawn();
      const started = performance.now();
      await rejectsWith(instance, path, 'cpu_budget_exceeded');
      assert.ok(performance.now() - started < 1000, `${path} ran for ${performance.now() - started} ms`);
      assert.equal(instance.state, 'dead');
    }
  });

  it('stops a handler that never resolves at the deadline', async () => {
    const app = await loadFixture('limits', { deadlineMs: 150 });
    const instance = app.spawn();
    const started = performance.now();
    await rejectsWith(instance, '/hang', 'deadline_exceeded');
    assert.ok(performance.now() - started >= 140);
    assert.equal(instance.state, 'dead');
  });

  it('reports stack overflow, exceptions and bad responses with their own codes', async () => {
    const app = await loadFixture('limits');
    await rejectsWith(app.spawn(), '/recurse', 'stack_overflow');
    const thrower = app.spawn();
    const error = await rejectsWith(thrower, '/throw', 'trap');
    assert.match(error.message, /boom/);
    assert.equal(thrower.state, 'dead');
    // A malformed answer is the app's mistake, not a broken instance: it keeps serving.
    const instance = app.spawn();
    await rejectsWith(instance, '/not-a-response', 'bad_response');
    await rejectsWith(instance, '/error-response', 'bad_response');
    assert.equal(instance.state, 'ready');
    assert.equal(text(await instance.handle(request('/'))), 'fine');
  });

  it('serialises calls into one instance', async () => {
    const app = await loadFixture('limits', { deadlineMs: 100 });
    const instance = app.spawn();
    const hanging = instance.handle(request('/hang'));
    await assert.rejects(instance.handle(request('/')), /busy/);
    await assert.rejects(hanging, /deadline/);
  });
});

describe('JS boundary', () => {
  // What crosses back from the guest is untrusted (app code can patch the prelude's checks): the host
  // splits the header text and checks every name and value itself.
  const badResponse = (headers: unknown, pattern: RegExp) => assert.throws(() => acceptResponse(200, headers, new Uint8Array(0)), (e: unknown) => e instanceof SandboxError && e.code === 'bad_response' && e.httpStatus === 502 && pattern.test(e.message));

  it('takes a header text as names and values, lower-cased, dropping framing headers', () => {
    assert.deepEqual(acceptResponse(201, 'Content-Type\0text/plain\0content-length\x009\0x-a\0', new Uint8Array(1)).headers, [['content-type', 'text/plain'], ['x-a', '']]);
    assert.deepEqual(acceptResponse(200, '', new Uint8Array(0)).headers, []);
    assert.equal(headerText([['a', '1'], ['b', '2']]), 'a\x001\0b\x002');
  });

  it('refuses a header text that is not names and values, or carries a bad name or value', () => {
    badResponse('x-a\x001\0x-b', /not a name and a value/);
    badResponse(['x-a', '1'], /not a header list/);
    badResponse('x a\x001', /invalid or too long/);
    badResponse('x-a\x001\r\nx-evil: 1', /invalid or too long/);
    badResponse(Array.from({ length: 1000 }, (_, i) => `x-${i}\0v`).join('\0'), /more than/);
  });
});

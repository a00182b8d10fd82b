/**
 * The flick reactor ABI over real modules: the example apps compiled from source with the SDK, and
 * a hand-written WAT guest that passes bad pointers on purpose. Instances are made directly with
 * `flickImports` (no sandbox), so these tests pin the ABI itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { compileAssemblyScript } from '../../sdk/compile.mjs';
import { SandboxError } from '../../src/runtime/errors.js';
import type { GuestRequest, GuestResponse, KvNamespace, LogLevel } from '../../src/runtime/request.js';
import type { ContextRef, InstanceContext } from '../../src/runtime/wasm/host-context.js';
import type { WasiState } from '../../src/runtime/wasm/wasi/state.js';
import { ABI_STATUS, finishResponse, flickImports, newCallState } from '../../src/runtime/wasm/abi/flick-imports.js';
import { RESPONSE_LIMITS } from '../../src/runtime/wasm/abi/call-state.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

/** A KvNamespace in a Map, keyed by the key's bytes. */
class MemoryKv implements KvNamespace {
  readonly entries = new Map<string, Uint8Array>();
  get(key: Uint8Array): Uint8Array | undefined {
    return this.entries.get(Buffer.from(key).toString('latin1'));
  }
  put(key: Uint8Array, value: Uint8Array): void {
    this.entries.set(Buffer.from(key).toString('latin1'), value);
  }
  delete(key: Uint8Array): boolean {
    return this.entries.delete(Buffer.from(key).toString('latin1'));
  }
}

type LogLine = [LogLevel, string];

/** One compiled module with one import object, as the node keeps them: instances share both. */
class TestApp {
  readonly ref: ContextRef = { current: null };
  readonly imports: WebAssembly.Imports;
  constructor(readonly module: WebAssembly.Module, readonly kv: ReadonlyMap<string, KvNamespace> = new Map()) {
    this.imports = { flick: flickImports(this.ref) as WebAssembly.ModuleImports };
  }
  spawn(): TestInstance {
    return new TestInstance(this);
  }
}

class TestInstance {
  readonly exports: WebAssembly.Exports;
  readonly ctx: InstanceContext;
  readonly logs: LogLine[] = [];
  constructor(private readonly app: TestApp) {
    this.exports = new WebAssembly.Instance(app.module, app.imports).exports;
    this.ctx = {
      memory: this.exports.memory as WebAssembly.Memory,
      // The flick ABI never touches WASI state.
      wasi: null as unknown as WasiState,
      stdio: { write: () => {} },
      call: null,
      messaging: null,
      kv: app.kv,
      log: (level, message) => this.logs.push([level, message]),
    };
    if (this.exports._initialize) this.invoke('_initialize');
    if (this.exports.flick_init) this.invoke('flick_init');
  }

  /** Calls an export with this instance current, as the sandbox does. */
  invoke(name: string, ...args: number[]): unknown {
    this.app.ref.current = this.ctx;
    try {
      return (this.exports[name] as (...a: number[]) => unknown)(...args);
    } finally {
      this.app.ref.current = null;
    }
  }

  handle(request: Partial<GuestRequest>): GuestResponse {
    const call = newCallState({ method: 'GET', url: '/', headers: [], body: new Uint8Array(0), ...request });
    this.ctx.call = call;
    try {
      this.invoke('flick_handle');
    } finally {
      this.ctx.call = null;
    }
    return finishResponse(call);
  }
}

const text = (r: GuestResponse): string => Buffer.from(r.body).toString('utf8');
const header = (r: GuestResponse, name: string): string | undefined => r.headers.find(([n]) => n.toLowerCase() === name)?.[1];
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function compileApp(appDir: string): Promise<WebAssembly.Module> {
  const { wasm } = await compileAssemblyScript({ appDir, entry: 'assembly/index.ts' });
  return new WebAssembly.Module(wasm);
}

function assertSandboxError(fn: () => unknown, code: string, message: RegExp): SandboxError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SandboxError, `expected a SandboxError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, message);
  assert.ok(caught.hint.length > 0, 'the error has a hint');
  return caught;
}

describe('flick ABI: example apps built with the AssemblyScript SDK', () => {
  const modules = new Map<string, WebAssembly.Module>();
  before(async () => {
    for (const name of ['hello', 'counter', 'kv']) modules.set(name, await compileApp(join(EXAMPLES, name)));
  });

  it('imports only from module "flick" and exports the reactor entry points', () => {
    for (const [name, module] of modules) {
      const imports = WebAssembly.Module.imports(module);
      assert.deepEqual(imports.filter((i) => i.module !== 'flick'), [], `${name} imports outside "flick"`);
      const exports = WebAssembly.Module.exports(module).map((e) => e.name);
      assert.ok(exports.includes('flick_handle') && exports.includes('_initialize'), `${name} exports ${exports}`);
    }
    const hello = WebAssembly.Module.imports(modules.get('hello')!).map((i) => i.name).sort();
    assert.ok(hello.length <= 6, `hello imports ${hello}`);
  });

  it('hello answers with the request it got', () => {
    const instance = new TestApp(modules.get('hello')!).spawn();
    const r = instance.handle({ method: 'POST', url: '/greet/you?lang=en' });
    assert.equal(r.status, 200);
    assert.equal(text(r), 'hello from flick: POST /greet/you\n');
    assert.equal(header(r, 'content-type'), 'text/plain; charset=utf-8');
  });

  it('counter keeps its count across calls, and each instance has its own', () => {
    const app = new TestApp(modules.get('counter')!);
    const alice = app.spawn();
    const bob = app.spawn();
    const ask = (i: TestInstance, key: string) => JSON.parse(text(i.handle({ headers: [['flick-key', key]] })));
    assert.deepEqual(ask(alice, 'alice'), { key: 'alice', count: 1 });
    assert.deepEqual(ask(alice, 'alice'), { key: 'alice', count: 2 });
    assert.deepEqual(ask(bob, 'bob'), { key: 'bob', count: 1 });
    assert.deepEqual(ask(alice, 'alice'), { key: 'alice', count: 3 });
    assert.deepEqual(ask(bob, 'b"o\\b'), { key: 'b"o\\b', count: 2 });
  });

  it('kv reads and writes through a granted namespace', () => {
    const data = new MemoryKv();
    const app = new TestApp(modules.get('kv')!, new Map([['data', data]]));
    const instance = app.spawn();
    assert.equal(instance.handle({ url: '/a' }).status, 404);
    assert.equal(instance.handle({ method: 'PUT', url: '/a', body: bytes('first') }).status, 204);
    assert.equal(text(instance.handle({ url: '/a' })), 'first');
    assert.deepEqual(data.get(bytes('a')), bytes('first'));
    // Larger than the SDK's scratch area: the value travels in two host calls.
    const big = bytes('x'.repeat(10_000) + 'end');
    instance.handle({ method: 'PUT', url: '/big', body: big });
    assert.deepEqual(app.spawn().handle({ url: '/big' }).body, big);
    assert.equal(instance.handle({ method: 'DELETE', url: '/a' }).status, 204);
    assert.equal(instance.handle({ method: 'DELETE', url: '/a' }).status, 404);
    assert.equal(data.entries.size, 1);
    assert.equal(header(instance.handle({ method: 'PATCH', url: '/a' }), 'allow'), 'GET, PUT, DELETE');
    assert.ok(instance.logs.some(([level, m]) => level === 'info' && m === 'stored big'), 'the app logged the write');
  });

  it('kv refuses a namespace the manifest does not grant, and says so', () => {
    const instance = new TestApp(modules.get('kv')!, new Map([['other', new MemoryKv()]])).spawn();
    const e = assertSandboxError(() => instance.handle({ url: '/a' }), 'trap', /kv namespace "data" is not granted/);
    assert.match(e.message, /capabilities\.kv/);
    assert.deepEqual(instance.logs.map(([level]) => level), ['warn', 'error']);
    assert.match(instance.logs[0][1], /flick\.kv_get: kv namespace "data" is not granted to this app; add it to capabilities\.kv/);
    assert.match(instance.logs[1][1], /^aborted: kv namespace "data" is not granted/);
  });

  it('compiles to the same bytes from another directory', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'flick-abi-'));
    try {
      await cp(join(EXAMPLES, 'hello', 'assembly'), join(copy, 'assembly'), { recursive: true });
      const here = await compileAssemblyScript({ appDir: join(EXAMPLES, 'hello'), entry: 'assembly/index.ts' });
      const there = await compileAssemblyScript({ appDir: copy, entry: 'assembly/index.ts' });
      assert.deepEqual(there.wasm, here.wasm);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

/** An app that touches every SDK call, to check each against the host. */
const SDK_PROBE = `
import { kv, log, request, response } from "flick";

let initialised = false;
export function flick_init(): void { initialised = true; log.debug("init"); }

export function flick_handle(): void {
  const path = request.path;
  if (path == "/echo") {
    const hs = request.headers();
    let names = "";
    for (let i = 0; i < hs.length; i++) names += hs[i].name + "=" + hs[i].value + ";";
    const missing = request.header("x-none");
    response.status(201).header("x-init", initialised ? "yes" : "no").header("set-cookie", "a=1").header("set-cookie", "b=2");
    response.write(request.method + "|" + request.url + "|" + request.query + "|" + request.header("X-Multi")! + "|");
    response.write((missing === null ? "null" : missing) + "|" + names + "|" + request.text());
  } else if (path == "/bytes") {
    const body = request.bytes();
    body[0] = 0x42;
    response.bytes(body, "application/x-test");
  } else if (path == "/kv") {
    const ns = kv.open("store");
    ns.put("k", "v");
    ns.put(Uint8Array.wrap(String.UTF8.encode("bk")), Uint8Array.wrap(String.UTF8.encode("bv")));
    response.json("[\\"" + ns.get("k")! + "\\",\\"" + ns.get(Uint8Array.wrap(String.UTF8.encode("bk")))! + "\\"," + (ns.get("nope") === null ? "null" : "1") + "," + ns.delete("k").toString() + "]");
  } else if (path == "/random") {
    response.text(Math.random() < 1.0 ? "ok" : "bad");
  } else if (path == "/assert") {
    assert(path.length > 100, "path too short");
  } else if (path == "/trace") {
    trace("traced", 2, 1.5, 2.5);
  } else {
    log.warn("no route " + path);
    response.text("none", 404);
  }
}
`;

describe('flick ABI: every SDK call against the host', () => {
  let app: TestApp;
  let dir: string;
  const store = new MemoryKv();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flick-sdk-'));
    await mkdir(join(dir, 'assembly'));
    await writeFile(join(dir, 'assembly', 'index.ts'), SDK_PROBE);
    app = new TestApp(await compileApp(dir), new Map([['store', store]]));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('still imports only from "flick" (Math.random, trace and abort included)', () => {
    assert.deepEqual(WebAssembly.Module.imports(app.module).filter((i) => i.module !== 'flick'), []);
  });

  it('reads every part of the request and builds status, headers and body', () => {
    const instance = app.spawn();
    assert.deepEqual(instance.logs, [['debug', 'init']]);
    const r = instance.handle({
      method: 'PUT',
      url: '/echo?a=1&b=ü',
      headers: [['x-multi', 'one'], ['content-type', 'text/plain'], ['x-multi', 'two']],
      body: bytes('body ✓'),
    });
    assert.equal(r.status, 201);
    assert.deepEqual(r.headers, [['x-init', 'yes'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
    assert.equal(text(r), 'PUT|/echo?a=1&b=ü|a=1&b=ü|one, two|null|x-multi=one;content-type=text/plain;x-multi=two;|body ✓');
  });

  it('hands bodies over as bytes, longer than the scratch area too', () => {
    const body = new Uint8Array(70_000).map((_, i) => i % 251);
    const r = app.spawn().handle({ url: '/bytes', body });
    assert.equal(header(r, 'content-type'), 'application/x-test');
    assert.equal(r.body.length, body.length);
    assert.equal(r.body[0], 0x42);
    assert.deepEqual(r.body.subarray(1), body.subarray(1));
  });

  it('uses kv with string and byte keys', () => {
    const r = app.spawn().handle({ url: '/kv' });
    assert.equal(header(r, 'content-type'), 'application/json');
    assert.deepEqual(JSON.parse(text(r)), ['v', 'bv', null, true]);
    assert.deepEqual(store.get(bytes('bk')), bytes('bv'));
    assert.equal(store.get(bytes('k')), undefined);
  });

  it('seeds Math.random from the host and routes trace to the log', () => {
    const instance = app.spawn();
    assert.equal(text(instance.handle({ url: '/random' })), 'ok');
    instance.handle({ url: '/trace' });
    assert.deepEqual(instance.logs.at(-1), ['debug', 'traced 1.5 2.5']);
  });

  it('turns an assertion into a log line and a trap naming file and line', () => {
    const instance = app.spawn();
    assertSandboxError(() => instance.handle({ url: '/assert' }), 'trap', /the app aborted: path too short at assembly\/index\.ts:\d+:\d+/);
    assert.match(instance.logs.at(-1)![1], /aborted: path too short at assembly\/index\.ts/);
  });
});

/** A guest that calls the host directly, with whatever pointers its caller picks. */
const RAW_GUEST = `
(module
  (import "flick" "request_method" (func $request_method (param i32 i32) (result i32)))
  (import "flick" "request_header" (func $request_header (param i32 i32 i32 i32) (result i32)))
  (import "flick" "request_body" (func $request_body (param i32 i32) (result i32)))
  (import "flick" "response_status" (func $response_status (param i32)))
  (import "flick" "response_header" (func $response_header (param i32 i32 i32 i32)))
  (import "flick" "response_write" (func $response_write (param i32 i32)))
  (import "flick" "kv_get" (func $kv_get (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "flick" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "data")
  (data (i32.const 16) "x-key")
  (data (i32.const 32) "bad\\0a")
  (func (export "method") (param i32 i32) (result i32) (call $request_method (local.get 0) (local.get 1)))
  (func (export "header") (param i32 i32 i32 i32) (result i32)
    (call $request_header (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "body") (param i32 i32) (result i32) (call $request_body (local.get 0) (local.get 1)))
  (func (export "status") (param i32) (call $response_status (local.get 0)))
  (func (export "add_header") (param i32 i32 i32 i32)
    (call $response_header (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "write") (param i32 i32) (call $response_write (local.get 0) (local.get 1)))
  (func (export "write_repeat") (param $ptr i32) (param $len i32) (param $times i32)
    (loop $again
      (call $response_write (local.get $ptr) (local.get $len))
      (br_if $again (local.tee $times (i32.sub (local.get $times) (i32.const 1))))))
  (func (export "kv_get") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $kv_get (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "log") (param i32 i32 i32) (call $log (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "flick_handle")))
`;

describe('flick ABI: a guest passing bad pointers', () => {
  let module: WebAssembly.Module;
  before(async () => {
    const wabt = await wabtInit();
    const parsed = wabt.parseWat('raw-guest.wat', RAW_GUEST);
    try {
      module = new WebAssembly.Module(parsed.toBinary({}).buffer);
    } finally {
      parsed.destroy();
    }
  });

  /** An instance in the middle of a request, so request and response functions may be called. */
  function inCall(kv: ReadonlyMap<string, KvNamespace> = new Map()) {
    const instance = new TestApp(module, kv).spawn();
    instance.ctx.call = newCallState({ method: 'GET', url: '/x', headers: [['x-key', 'v']], body: bytes('0123456789') });
    return instance;
  }
  const PAGE = 65536;

  it('refuses ranges outside memory with a SandboxError, never a host error', () => {
    const instance = inCall();
    const outside = /outside the instance's memory of 65536 bytes/;
    assertSandboxError(() => instance.invoke('method', PAGE - 2, 8), 'trap', outside);
    assertSandboxError(() => instance.invoke('method', -1, 8), 'trap', outside);
    assertSandboxError(() => instance.invoke('body', 0, -1), 'trap', outside);
    assertSandboxError(() => instance.invoke('header', PAGE, 1, 0, 8), 'trap', outside);
    assertSandboxError(() => instance.invoke('write', 0x7fffffff, 0x7fffffff), 'trap', outside);
    assertSandboxError(() => instance.invoke('add_header', 16, PAGE, 0, 1), 'trap', outside);
    assertSandboxError(() => instance.invoke('log', 1, PAGE - 1, 2), 'trap', /flick\.log: range \[65535, 65537\)/);
    assertSandboxError(() => instance.invoke('kv_get', 0, 4, 0, 1, PAGE, 1), 'trap', /flick\.kv_get/);
    // The exact end of memory is fine, and so is an empty range at its end.
    assert.equal(instance.invoke('method', PAGE - 3, 3), 3);
    assert.equal(instance.invoke('body', PAGE, 0), 10);
  });

  it('follows the fits-or-tells-the-size convention', () => {
    const instance = inCall();
    const view = () => new Uint8Array(instance.ctx.memory.buffer);
    assert.equal(instance.invoke('body', 100, 4), 10);
    assert.equal(view()[100], 0);
    assert.equal(instance.invoke('body', 100, 10), 10);
    assert.equal(Buffer.from(view().subarray(100, 110)).toString(), '0123456789');
    assert.equal(instance.invoke('header', 16, 5, 200, 8), 1);
    assert.equal(instance.invoke('header', 0, 4, 200, 8), ABI_STATUS.missing);
  });

  it('sees memory the guest grew', () => {
    const instance = inCall();
    assert.equal(instance.invoke('grow', 1), 1);
    assert.equal(instance.invoke('body', PAGE + 10, 10), 10);
    assert.equal(Buffer.from(instance.ctx.memory.buffer, PAGE + 10, 10).toString(), '0123456789');
  });

  it('returns denied for a namespace that is not granted, and logs it', () => {
    const instance = inCall(new Map([['other', new MemoryKv()]]));
    assert.equal(instance.invoke('kv_get', 0, 4, 16, 5, 100, 10), ABI_STATUS.denied);
    assert.match(instance.logs[0][1], /flick\.kv_get: kv namespace "data" is not granted to this app; add it to capabilities\.kv/);
  });

  it('returns refused when the store throws', () => {
    const failing: KvNamespace = { get: () => { throw new Error('disk on fire'); }, put: () => {}, delete: () => false };
    const instance = inCall(new Map([['data', failing]]));
    assert.equal(instance.invoke('kv_get', 0, 4, 16, 5, 100, 10), ABI_STATUS.refused);
    assert.match(instance.logs[0][1], /disk on fire/);
  });

  it('rejects a malformed response as bad_response', () => {
    const instance = inCall();
    assertSandboxError(() => instance.invoke('status', 42), 'bad_response', /42 is not a final HTTP status/);
    assertSandboxError(() => instance.invoke('add_header', 32, 4, 0, 4), 'bad_response', /not a valid header name/);
    assertSandboxError(() => instance.invoke('add_header', 16, 5, 32, 4), 'bad_response', /value of x-key is invalid/);
    new Uint8Array(instance.ctx.memory.buffer).set(bytes('Content-Length'), 300);
    assertSandboxError(() => instance.invoke('add_header', 300, 14, 0, 1), 'bad_response', /Content-Length is set by the platform/);
  });

  it('coalesces small writes and caps the body size', () => {
    const instance = inCall();
    instance.invoke('write_repeat', 0, 1, 10_000);
    const r = finishResponse(instance.ctx.call!);
    assert.equal(r.body.length, 10_000);
    assert.ok(instance.ctx.call!.body.length <= 3, `${instance.ctx.call!.body.length} chunks`);
    assert.ok(r.body.every((b) => b === 'd'.charCodeAt(0)), 'the body is the bytes written');
    const big = inCall();
    const times = Math.ceil(RESPONSE_LIMITS.bodyBytes / PAGE) + 1;
    assertSandboxError(() => big.invoke('write_repeat', 0, PAGE, times), 'response_too_large', /body exceeds/);
  });

  it('refuses request functions outside a request', () => {
    const instance = new TestApp(module).spawn();
    assertSandboxError(() => instance.invoke('method', 0, 8), 'trap', /flick\.request_method: called outside a request/);
  });

  it('logs at the level asked, cuts long lines, and refuses an unknown level', () => {
    const instance = inCall();
    instance.invoke('log', 2, 0, 4);
    instance.invoke('log', 0, 0, 5000);
    assert.deepEqual(instance.logs[0], ['warn', 'data']);
    assert.equal(instance.logs[1][0], 'debug');
    const long = instance.logs[1][1];
    assert.ok(long.startsWith('data') && long.endsWith('… [cut]'), 'the line is cut and marked');
    assert.equal(long.length, 4096 + '… [cut]'.length);
    assertSandboxError(() => instance.invoke('log', 7, 0, 4), 'trap', /unknown level 7/);
  });
});

// The wasm sandbox end to end: a real image (built from examples/ or a fixture) → the node's
// rewriting → memory pool → instances; requests, limits, snapshots, restore and fork.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import fc from 'fast-check';
import { buildImage } from '../../src/image/build.js';
import { decodeImage, encodeImage, type Image } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';
import { prepareWasm } from '../../src/runtime/wasm/prepare.js';
import { WasmApp } from '../../src/runtime/wasm/app.js';
import { SandboxError } from '../../src/runtime/errors.js';
import type { GuestRequest } from '../../src/runtime/request.js';
import { buildCFixtures, buildDir } from '../fixtures/c/build.mjs';

const wabt = await wabtInit();
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function get(url = '/', headers: Array<[string, string]> = []): GuestRequest {
  return { method: 'GET', url, headers: [['host', 'app.localhost'], ...headers], body: new Uint8Array(0) };
}

async function example(name: string): Promise<Image> {
  return decodeImage((await buildImage(join('examples', name))).bytes);
}

function load(image: Image): WasmApp {
  return new WasmApp(image.manifest, prepareWasm(image.manifest, image.code, image.id), { pool: { coldTarget: 4 } });
}

/** A flick-ABI app written in WAT, with the given resources. */
function watApp(body: string, resources: { memoryMiB?: number; cpuMsPerCall?: number; deadlineMs?: number } = {}, abi: 'flick' | 'wagi' = 'flick'): WasmApp {
  const code = wabt.parseWat('app.wat', `(module ${body})`).toBinary({}).buffer;
  const manifest = validateManifest({ name: 'fixture', version: '1.0.0', runtime: 'wasm', abi, resources: { memoryMiB: 1, cpuMsPerCall: 5, deadlineMs: 1000, ...resources } }, 'build');
  return load(decodeImage(encodeImage({ manifest, code })));
}

const hello = await example('hello');
const counter = await example('counter');

test('hello answers through the flick ABI, a fresh instance per spawn', () => {
  const app = load(hello);
  const res = app.spawn().call(get('/x?y=1'));
  assert.equal(res.status, 200);
  assert.match(text(res.body), /hello from flick/);
});

test('counter keeps state in memory between calls; instances count on their own', () => {
  const app = load(counter);
  const a = app.spawn();
  const b = app.spawn();
  for (let i = 1; i <= 3; i++) assert.match(text(a.call(get('/', [['flick-key', 'a']])).body), new RegExp(`"count":${i}`));
  assert.match(text(b.call(get('/', [['flick-key', 'b']])).body), /"count":1/);
});

test('snapshot → restore continues where it left off; fork gives N independent copies', () => {
  const app = load(counter);
  const a = app.spawn();
  for (let i = 0; i < 5; i++) a.call(get());
  const snap = a.snapshot();
  // Sparse: a counter touches a few KiB of its 64 KiB page(s), and only that is kept.
  assert.ok(snap.memory.data.byteLength < snap.memory.pages * 65536, `snapshot holds ${snap.memory.data.byteLength} bytes`);
  const restored = app.restore(snap);
  assert.match(text(restored.call(get()).body), /"count":6/);
  const forks = app.fork(snap, 10);
  for (const f of forks) assert.match(text(f.call(get()).body), /"count":6/);
  assert.match(text(forks[0].call(get()).body), /"count":7/);
  assert.match(text(a.call(get()).body), /"count":6/, 'the original is untouched by its copies');
});

test('a shared snapshot (an in-node move) holds the same bytes in a SharedArrayBuffer and restores the same', () => {
  const app = load(counter);
  const a = app.spawn();
  for (let i = 0; i < 3; i++) a.call(get());
  const plain = a.snapshot();
  const shared = a.snapshot(true);
  assert.ok(shared.memory.data.buffer instanceof SharedArrayBuffer);
  assert.ok(plain.memory.data.buffer instanceof ArrayBuffer);
  assert.deepEqual(Buffer.from(shared.memory.data), Buffer.from(plain.memory.data));
  assert.deepEqual(shared.memory.runs, plain.memory.runs);
  assert.match(text(app.restore(shared).call(get()).body), /"count":4/);
});

test('property: random request sequences answer the same with a snapshot/restore in the middle', () => {
  const app = load(counter);
  const req = fc.record({ key: fc.constantFrom('a', 'b', 'ü', ''), path: fc.constantFrom('/', '/x', '/y?z=1') });
  fc.assert(
    fc.property(fc.array(req, { minLength: 1, maxLength: 12 }), fc.array(req, { minLength: 1, maxLength: 12 }), (before, after) => {
      const straight = app.spawn();
      const paused = app.spawn();
      const ask = (r: { key: string; path: string }) => get(r.path, [['flick-key', r.key]]);
      for (const r of before) assert.deepEqual(paused.call(ask(r)), straight.call(ask(r)));
      const resumed = app.restore(paused.snapshot());
      for (const r of after) assert.deepEqual(resumed.call(ask(r)), straight.call(ask(r)));
    }),
    { numRuns: 60 },
  );
});

test('a snapshot restores only into the app build it came from', () => {
  const snap = load(counter).spawn().snapshot();
  assert.throws(() => load(hello).restore(snap), (e: unknown) => e instanceof SandboxError && e.code === 'snapshot_invalid');
});

const LOOP = `(import "flick" "memory" (memory 1 1)) (func (export "flick_handle") (loop (br 0)))`;

test('an infinite loop traps with cpu_budget_exceeded, deterministically, and the scheduler keeps serving', () => {
  const app = watApp(LOOP);
  const fuelAt: number[] = [];
  for (let i = 0; i < 3; i++) {
    const inst = app.spawn();
    const t0 = performance.now();
    assert.throws(() => inst.call(get()), (e: unknown) => e instanceof SandboxError && e.code === 'cpu_budget_exceeded' && e.httpStatus === 503 && /cpuMsPerCall/.test(e.hint));
    assert.ok(performance.now() - t0 < 2000, 'trapped within its budget, not by a watchdog');
    assert.equal(inst.state, 'dead');
    fuelAt.push(inst.stats().cpuUsed);
  }
  assert.equal(new Set(fuelAt).size, 1, `same fuel used each time: ${fuelAt}`);
  const neighbour = load(hello).spawn();
  assert.equal(neighbour.call(get()).status, 200);
});

test('a memory bomb stops at the manifest limit with memory_limit_exceeded', () => {
  const app = watApp(`(import "flick" "memory" (memory 1 65536))
    (func (export "flick_handle") (loop (br_if 0 (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable)`, { memoryMiB: 2, cpuMsPerCall: 50 });
  const inst = app.spawn();
  assert.throws(() => inst.call(get()), (e: unknown) => e instanceof SandboxError && e.code === 'memory_limit_exceeded' && /memoryMiB/.test(e.hint));
  assert.equal(app.layout.memory.maximum, 32, '2 MiB = 32 pages');
});

test('deep recursion traps with stack_overflow (or runs out of fuel), never crashes the process', () => {
  const app = watApp(`(import "flick" "memory" (memory 1 1)) (func $f (param i32) (result i32) (call $f (i32.add (local.get 0) (i32.const 1))))
    (func (export "flick_handle") (drop (call $f (i32.const 0))))`, { cpuMsPerCall: 60_000, deadlineMs: 60_000 });
  assert.throws(() => app.spawn().call(get()), (e: unknown) => e instanceof SandboxError && (e.code === 'stack_overflow' || e.code === 'cpu_budget_exceeded'));
  assert.equal(load(hello).spawn().call(get()).status, 200);
});

test('a WAGI command module (C, built with clang + wasi-libc) is served unchanged', () => {
  buildCFixtures();
  const code = readFileSync(join(buildDir, 'cgi.wasm'));
  const manifest = validateManifest({ name: 'cgi', version: '1.0.0', runtime: 'wasm', abi: 'wagi', resources: { memoryMiB: 16, cpuMsPerCall: 100, deadlineMs: 2000 } }, 'build');
  const app = load(decodeImage(encodeImage({ manifest, code })));
  const res = app.spawn().call({ method: 'POST', url: '/echo?name=flick', headers: [['host', 'cgi.localhost'], ['content-type', 'text/plain']], body: Buffer.from('ping') });
  assert.equal(res.status, 200);
  assert.match(text(res.body), /ping/);
});

test('a sleep past the wall-clock deadline ends the call with deadline_exceeded', () => {
  buildCFixtures();
  const code = readFileSync(join(buildDir, 'process_io.wasm'));
  const manifest = validateManifest({ name: 'sleeper', version: '1.0.0', runtime: 'wasm', abi: 'wagi', resources: { memoryMiB: 16, cpuMsPerCall: 100, deadlineMs: 150 } }, 'build');
  const app = load(decodeImage(encodeImage({ manifest, code })));
  const t0 = performance.now();
  assert.throws(
    () => app.spawn().call({ method: 'GET', url: '/?--sleep-ms&2000', headers: [['host', 's.localhost']], body: new Uint8Array(0) }),
    (e: unknown) => e instanceof SandboxError && e.code === 'deadline_exceeded',
  );
  const took = performance.now() - t0;
  assert.ok(took >= 140 && took < 1500, `stopped at the deadline (${took.toFixed(0)} ms)`);
});

test('a host-call flood ends the call with its own error, quickly, not via the watchdog', () => {
  const app = watApp(`(import "flick" "request_method" (func $m (param i32 i32) (result i32))) (import "flick" "memory" (memory 1 1))
    (func (export "flick_handle") (loop (drop (call $m (i32.const 0) (i32.const 0))) (br 0)))`, { cpuMsPerCall: 50 });
  const inst = app.spawn();
  const t0 = performance.now();
  assert.throws(() => inst.call(get()), (e: unknown) => e instanceof SandboxError && e.code === 'cpu_budget_exceeded' && /host calls/.test(e.message));
  assert.ok(performance.now() - t0 < 1000, `stopped in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(load(hello).spawn().call(get()).status, 200);
});

// The state-upgrade hooks at the sandbox level (docs/abi.md, "State upgrade"): WasmInstance.saveState
// and WasmApp.upgrade with small WAT modules, so every edge is exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import wabtInit from 'wabt';
import { validateManifest } from '../../src/image/manifest.js';
import { prepareWasm } from '../../src/runtime/wasm/prepare.js';
import { WasmApp } from '../../src/runtime/wasm/app.js';
import { SandboxError } from '../../src/runtime/errors.js';

const wabt = await wabtInit();
let builds = 0;

function app(body: string, version = '1.0.0'): WasmApp {
  const code = wabt.parseWat('app.wat', `(module
    (import "flick" "memory" (memory 1 16))
    (import "flick" "state_write" (func $write (param i32 i32)))
    (import "flick" "state_read" (func $read (param i32 i32) (result i32)))
    (import "flick" "state_version" (func $version (param i32 i32) (result i32)))
    (import "flick" "response_write" (func $respond (param i32 i32)))
    (global $len (mut i32) (i32.const 0))
    (func (export "flick_handle") (call $respond (i32.const 0) (global.get $len)))
    ${body})`).toBinary({}).buffer;
  const manifest = validateManifest({ name: 'state', version, runtime: 'wasm', abi: 'flick', resources: { memoryMiB: 1, cpuMsPerCall: 5, deadlineMs: 1000 } }, 'build');
  return new WasmApp(manifest, prepareWasm(manifest, code, `sha256:state-${++builds}`), { pool: { coldTarget: 1 } });
}

const GET = { method: 'GET', url: '/', headers: [], body: new Uint8Array(0) };
const text = (b: Uint8Array) => Buffer.from(b).toString();

// Saves "hello" written in two pieces; the new code copies state, then version, and answers them.
const OLD = `(data (i32.const 100) "hello")
  (func (export "flick_state_save") (call $write (i32.const 100) (i32.const 3)) (call $write (i32.const 103) (i32.const 2)))`;
const NEW = `(func (export "flick_upgrade") (result i32) (local $n i32)
    (local.set $n (call $read (i32.const 0) (i32.const 2)))
    ;; too small a buffer: told the size, then read again
    (drop (call $read (i32.const 0) (local.get $n)))
    (global.set $len (i32.add (local.get $n) (call $version (local.get $n) (i32.const 64))))
    (i32.const 0))`;

test('saved bytes and the old version reach the new code, which serves from them', () => {
  const saved = app(OLD).spawn().saveState();
  assert.equal(text(saved!), 'hello');
  const next = app(NEW, '2.0.0').upgrade(saved, '1.0.0');
  assert.equal(text(next.call(GET).body), 'hello1.0.0');
});

test('no flick_state_save: no state (null), and the new code reads -1', () => {
  assert.equal(app('').spawn().saveState(), null);
  const next = app(`(func (export "flick_upgrade") (result i32) (i32.add (call $read (i32.const 0) (i32.const 8)) (i32.const 1)))`).upgrade(null, '1.0.0');
  assert.equal(next.state, 'ready');
});

test('a refusing or trapping hook, or none, is a typed error', () => {
  const refuse = app(`(func (export "flick_upgrade") (result i32) (i32.const 7))`);
  assert.throws(() => refuse.upgrade(new Uint8Array(1), '1.0.0'), (e: unknown) => e instanceof SandboxError && e.code === 'upgrade_refused' && /returned 7/.test(e.message));
  const trap = app(`(func (export "flick_upgrade") (result i32) unreachable)`);
  assert.throws(() => trap.upgrade(null, '1.0.0'), (e: unknown) => e instanceof SandboxError && e.code === 'trap');
  assert.throws(() => app('').upgrade(null, '1.0.0'), (e: unknown) => e instanceof SandboxError && e.code === 'upgrade_refused' && /does not export flick_upgrade/.test(e.message));
});

test('the state functions trap outside their hooks', () => {
  const misuse = app(`(func (export "flick_state_save") (drop (call $read (i32.const 0) (i32.const 0))))`);
  assert.throws(() => misuse.spawn().saveState(), /flick\.state_read: called outside flick_upgrade/);
});

// Small flick-ABI apps written in WAT and packed into real images, for tests that need a precise
// manifest or behaviour without an AssemblyScript build.
import wabtInit from 'wabt';
import { encodeImage } from '../../src/image/format.js';
import { validateManifest } from '../../src/image/manifest.js';

const wabt = await wabtInit();

/** Answers `<tag>:<count>` where count is this instance's request number (state in a global). */
export function counterWat(tag: string): string {
  const bytes = [...Buffer.from(`${tag}:`)];
  const data = bytes.map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  return `(module
    (import "flick" "response_write" (func $write (param i32 i32)))
    (import "flick" "memory" (memory 1 16))
    (global $n (mut i32) (i32.const 0))
    (data (i32.const 0) "${data}")
    (func (export "flick_handle")
      (local $v i32) (local $p i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (call $write (i32.const 0) (i32.const ${bytes.length}))
      ;; decimal digits of n, written backwards from 1024
      (local.set $v (global.get $n)) (local.set $p (i32.const 1024))
      (loop $d
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
        (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
        (br_if $d (local.get $v)))
      (call $write (local.get $p) (i32.sub (i32.const 1024) (local.get $p)))))`;
}

/** Loops forever: metering must stop it. */
export const LOOP_WAT = `(module (import "flick" "memory" (memory 1 1)) (func (export "flick_handle") (loop (br 0))))`;

/** Answers with the given status and nothing else. */
export function statusWat(status: number): string {
  return `(module (import "flick" "response_status" (func $s (param i32))) (import "flick" "memory" (memory 1 1))
    (func (export "flick_handle") (call $s (i32.const ${status}))))`;
}

export function watImage(wat: string, manifest: Record<string, unknown>): Uint8Array {
  const code = wabt.parseWat('app.wat', wat).toBinary({}).buffer;
  return encodeImage({ manifest: validateManifest({ version: '1.0.0', runtime: 'wasm', abi: 'flick', ...manifest }, 'build'), code });
}

/**
 * restore: an instance brought back from a snapshot of an instance that touched 1 MiB of memory,
 * ready to serve (memory image applied, globals set). The app is a fixture written in WAT here: on
 * its first call it fills 1 MiB with non-zero bytes. The peer figure is a plain copy of the whole
 * memory into a fresh one, which is what a non-sparse restore would cost.
 */
import wabtInit from 'wabt';
import { emit, nowUs, percentile, progress, quick, repeat, round, sortedCopy } from './_harness.js';
import { getRequest, loadApp } from './_apps.js';
import { decodeImage, encodeImage } from '../src/image/format.js';
import { validateManifest } from '../src/image/manifest.js';

const MIB = 1 << 20;
const N = quick ? 300 : 1000;
const RUNS = quick ? 3 : 7;

const wat = `(module
  (import "flick" "memory" (memory 18 256))
  (global $filled (mut i32) (i32.const 0))
  (func (export "flick_handle")
    (local $p i32)
    (if (i32.eqz (global.get $filled)) (then
      (local.set $p (i32.const 65536))
      (loop $fill
        (i64.store (local.get $p) (i64.const 0x0123456789abcdef))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $fill (i32.lt_u (local.get $p) (i32.const ${65536 + MIB}))))
      (global.set $filled (i32.const 1))))))`;
const wabt = await wabtInit();
const code = wabt.parseWat('ballast.wat', wat).toBinary({}).buffer;
const manifest = validateManifest({ name: 'ballast', version: '1.0.0', runtime: 'wasm', abi: 'flick', resources: { memoryMiB: 16, cpuMsPerCall: 1000, deadlineMs: 5000 } }, 'build');
const image = decodeImage(encodeImage({ manifest, code }));
const app = loadApp(image);
const source = app.spawn();
if (source.call(getRequest()).status !== 200) throw new Error('fixture failed');
const snap = source.snapshot();
const touched = snap.memory.data.byteLength;
// Restores of this app come in bursts of up to 16 between refills.
app.pool.setWarm(16, snap.memory.pages);
progress(`snapshot holds ${touched} bytes of ${snap.memory.pages * 65536}`);

function measureRestore(): { p50: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    if (i % 16 === 0) app.pool.fill();
    const t0 = nowUs();
    const inst = app.restore(snap);
    samples.push(nowUs() - t0);
    inst.dispose();
  }
  const s = sortedCopy(samples);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
}

function measureFullCopy(): number {
  const samples: number[] = [];
  const whole = new Uint8Array(snap.memory.pages * 65536);
  for (let i = 0; i < N / 4; i++) {
    const t0 = nowUs();
    const m = new WebAssembly.Memory({ initial: snap.memory.pages, maximum: 256 });
    new Uint8Array(m.buffer).set(whole);
    samples.push(nowUs() - t0);
  }
  return percentile(sortedCopy(samples), 50);
}

// The restored instance must answer like the original: its state survived.
const check = app.restore(snap);
check.call(getRequest());
if (check.snapshot().memory.data.byteLength !== touched) throw new Error('restored instance differs from its snapshot');

measureRestore();
const { median, runs } = await repeat(RUNS, () => {
  const r = measureRestore();
  return { restore_p50_us: r.p50, restore_p99_us: r.p99, full_copy_p50_us: measureFullCopy() };
});
emit({
  bench: 'restore',
  restore_p50_us: round(median.restore_p50_us),
  restore_p99_us: round(median.restore_p99_us),
  full_copy_p50_us: round(median.full_copy_p50_us),
  snapshot_bytes: touched,
  pool_misses: app.pool.misses,
  conditions: `${N} restores per run, ${RUNS} runs, snapshot of an instance that wrote 1 MiB of a ${snap.memory.pages * 64} KiB memory; warm pool refilled every 16 restores`,
  runs,
});

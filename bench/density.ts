/**
 * density: live idle hello instances in one process (each spawned and called once, then kept), and
 * the resident memory each costs. The count (`--instances N` sets it) is capped by
 * vm.max_map_count (one mapping per wasm memory); the figure says which cap applied.
 */
import { emit, progress, quick, round } from './_harness.js';
import { exampleImage, getRequest, loadApp } from './_apps.js';
import { maxMapCount } from '../src/host/v8-flags.js';

// `--instances N`: the peer benches (erlang, node-workers) compare memory per unit at their own count.
const instancesFlag = process.argv.indexOf('--instances');
const TARGET = instancesFlag > 0 ? Number(process.argv[instancesFlag + 1]) : quick ? 20_000 : 200_000;
const mapCount = maxMapCount() ?? 65530;
// Leave room for the runtime's own mappings (heap, code, libraries).
const n = Math.min(TARGET, mapCount - 5000);
if (n < TARGET) progress(`vm.max_map_count is ${mapCount}: measuring ${n} instances instead of ${TARGET} (raise it: sudo sysctl -w vm.max_map_count=1048576)`);

const image = await exampleImage('hello');
const app = loadApp(image, { pool: { coldTarget: 0 } });
const req = getRequest();
const keep = new Array(n);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage().rss;
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const inst = app.spawn();
  inst.call(req);
  keep[i] = inst;
  if (i % 50_000 === 49_999) progress(`${i + 1} instances`);
}
const spawnMs = performance.now() - t0;
gc?.();
const after = process.memoryUsage().rss;
const alive = keep.filter((i) => i.state === 'ready').length;
// A sample of them still answers: they are live, not just allocated.
for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 100))) if (keep[i].call(req).status !== 200) throw new Error('an instance stopped answering');
emit({
  bench: 'density',
  instances: alive,
  rss_per_instance_kib: round((after - before) / 1024 / n),
  rss_total_mib: round(after / 1048576),
  spawn_all_ms: round(spawnMs),
  max_map_count: mapCount,
  conditions: `examples/hello, ${n} instances spawned and called once, kept alive, RSS after GC minus before`,
});

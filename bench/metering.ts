/**
 * Overhead of fuel metering on CPU-bound code, and the fuel rate behind FUEL_PER_CPU_MS.
 *
 *   node --disable-wasm-trap-handler --import tsx bench/metering.ts [--quick]
 *
 * Workloads (test/fixtures/wat/): `mix`, C compiled by clang -O2 (sorting, SHA-256, matrix
 * multiply, backtracking, parsing): the headline figure and the calibration; and the hand-written
 * kernels of cpu-kernels.wat, the worst cases (a 4-instruction inner loop, a call every 10
 * instructions) and an ALU-bound loop.
 *
 * Each workload runs on three builds of its module: the original; the rewritten one without
 * metering (memory import, exported globals: should cost nothing); the metered one. Every build
 * is warmed up until V8 has tiered it up, then timed in interleaved rounds so machine noise hits
 * all alike. Times are this process's CPU time: the dev machine's 2 cores are shared, and wall
 * time would count the time other processes hold the core. Medians over rounds; one JSON object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { FUEL_PER_CPU_MS, hostAccess, instrument } from '../src/runtime/wasm/instrument/index.js';
import { emit, progress, quick, repeat, round } from './_harness.js';
import { installRoot } from '../src/host/install-root.js';

interface Workload {
  name: string;
  fixture: string;
  export: string;
  arg: number;
  /** Calls per timed sample, to make each sample ~5-15 ms on the dev machine. */
  calls: number;
}

const WORKLOADS: Workload[] = [
  { name: 'mix', fixture: 'cpu-mix.wat', export: 'run', arg: 2, calls: 1 },
  { name: 'sieve', fixture: 'cpu-kernels.wat', export: 'sieve', arg: 131072, calls: 40 },
  { name: 'fib', fixture: 'cpu-kernels.wat', export: 'fib', arg: 30, calls: 1 },
  { name: 'hash', fixture: 'cpu-kernels.wat', export: 'hash', arg: 4_000_000, calls: 1 },
];
const HEADLINE = 'mix';
const WARMUP_SAMPLES = quick ? 3 : 8;
const ROUNDS = quick ? 5 : 21;
const MAX_MEMORY_PAGES = 256;
const PLENTY_OF_FUEL = 1n << 62n;

type Kernel = (n: number) => number;

interface Build {
  exports: WebAssembly.Exports;
  fuel: { set(fuel: number): void; get(): number } | null;
}

interface Sample {
  result: number;
  ms: number;
  fuel: number;
}

const wabt = await wabtInit();

function buildsOf(fixture: string): Record<'plain' | 'rewritten' | 'metered', Build> {
  // From the checkout, not relative to this module: `flick bench` runs the compiled copy in dist/.
  const wat = readFileSync(join(installRoot, 'test', 'fixtures', 'wat', fixture), 'utf8');
  const original = wabt.parseWat(fixture, wat).toBinary({}).buffer;
  const rewrite = instrument(original, { maxMemoryPages: MAX_MEMORY_PAGES, meter: false });
  const meter = instrument(original, { maxMemoryPages: MAX_MEMORY_PAGES, meter: true });
  return {
    plain: load(original, null, false),
    rewritten: load(rewrite.bytes, rewrite.memory, false),
    metered: load(meter.bytes, meter.memory, meter.metered),
  };
}

function load(bytes: Uint8Array, memory: { initial: number; maximum: number } | null, metered: boolean): Build {
  const imports: WebAssembly.Imports = memory ? { flick: { memory: new WebAssembly.Memory(memory) } } : {};
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  const host = hostAccess(exports);
  const fuel = metered ? { set: (f: number) => host.setFuel(BigInt(f)), get: () => host.fuel() } : null;
  return { exports, fuel };
}

/** One timed sample: `calls` calls of the workload on one build, its result and fuel spent. */
function sample(build: Build, w: Workload): Sample {
  const fn = build.exports[w.export] as Kernel;
  build.fuel?.set(Number(PLENTY_OF_FUEL));
  let result = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < w.calls; i++) result ^= fn(w.arg);
  const cpu = process.cpuUsage(t0);
  const fuel = build.fuel ? Number(PLENTY_OF_FUEL) - build.fuel.get() : 0;
  return { result, ms: (cpu.user + cpu.system) / 1000, fuel };
}

const results: Record<string, Record<string, number>> = {};
for (const w of WORKLOADS) {
  const builds = buildsOf(w.fixture);
  const expected = sample(builds.plain, w).result;
  progress(`${w.name}: warming up`);
  for (let i = 0; i < WARMUP_SAMPLES; i++) for (const b of Object.values(builds)) sample(b, w);
  let fuel = 0;
  const { median } = await repeat(ROUNDS, () => {
    const metered = sample(builds.metered, w);
    if (metered.result !== expected) throw new Error(`metered ${w.name} computed a different result`);
    fuel = metered.fuel;
    return { plain_ms: sample(builds.plain, w).ms, rewritten_ms: sample(builds.rewritten, w).ms, metered_ms: metered.ms };
  });
  results[w.name] = {
    plain_ms: round(median.plain_ms),
    rewritten_ms: round(median.rewritten_ms),
    metered_ms: round(median.metered_ms),
    overhead_pct: round((median.metered_ms / median.plain_ms - 1) * 100, 1),
    fuel,
    fuel_per_metered_ms: Math.round(fuel / median.metered_ms),
  };
}

emit({
  bench: 'metering',
  rounds: ROUNDS,
  overhead_pct: results[HEADLINE].overhead_pct,
  fuel_per_metered_ms: results[HEADLINE].fuel_per_metered_ms,
  fuel_per_cpu_ms_constant: FUEL_PER_CPU_MS,
  workloads: results,
  target: 'overhead_pct <= 15 on the CPU-bound example (mix)',
  conditions: `${HEADLINE} (C compiled by clang -O2) and hand-written kernels, each as the original, the rewritten and the metered module, warmed up until tiered up, then ${ROUNDS} interleaved rounds timed in this process's CPU time; medians over rounds`,
});

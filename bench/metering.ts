/**
 * Overhead of fuel metering on a CPU-bound module (test/fixtures/wat/cpu-bound.wat: sieve, recursive
 * fib, hash loop), and the fuel rate that calibrates FUEL_PER_CPU_MS.
 *
 *   node --disable-wasm-trap-handler --import tsx bench/metering.ts [--quick]
 *
 * Three builds of the same module, each warmed up until V8 has tiered it up, then timed in
 * interleaved rounds (so machine noise hits all alike): the original module; the rewritten one
 * without metering (memory import, exported globals: should cost nothing); the metered one.
 * Times are this process's CPU time (the dev machine's 2 cores are shared, and wall time counts
 * the time other processes hold the core). Medians over rounds. Prints one JSON object.
 */
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { FUEL_PER_CPU_MS, instrument } from '../src/runtime/wasm/instrument/index.js';
import { emit, progress, quick, repeat, round } from './_harness.js';

const FIXTURE = new URL('../test/fixtures/wat/cpu-bound.wat', import.meta.url);
const WARMUP_CALLS = quick ? 3 : 8;
const ROUNDS = quick ? 5 : 21;
const MAX_MEMORY_PAGES = 256;
const PLENTY_OF_FUEL = 1n << 62n;

/** One call per kernel, each ~5-15 ms of plain work on the 2-core dev machine. */
const KERNELS = [
  { name: 'sieve', export: 'sieve', arg: 131072, repeat: 40 },
  { name: 'fib', export: 'fib', arg: 30, repeat: 1 },
  { name: 'hash', export: 'hash', arg: 4_000_000, repeat: 1 },
] as const;

type Kernel = (n: number) => number;

interface Build {
  exports: WebAssembly.Exports;
  fuel: WebAssembly.Global | null;
}

function load(bytes: Uint8Array, memory: { initial: number; maximum: number } | null, fuelGlobal: string | null): Build {
  const imports = memory ? { flick: { memory: new WebAssembly.Memory(memory) } } : {};
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  return { exports, fuel: fuelGlobal ? (exports[fuelGlobal] as WebAssembly.Global) : null };
}

/** Runs one kernel on one build: its result, the time taken, and the fuel spent (metered builds). */
function call(build: Build, kernel: (typeof KERNELS)[number]): { result: number; ms: number; fuel: number } {
  const fn = build.exports[kernel.export] as Kernel;
  if (build.fuel) build.fuel.value = PLENTY_OF_FUEL;
  let result = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < kernel.repeat; i++) result ^= fn(kernel.arg);
  const cpu = process.cpuUsage(t0);
  const ms = (cpu.user + cpu.system) / 1000;
  const fuel = build.fuel ? Number(PLENTY_OF_FUEL - (build.fuel.value as bigint)) : 0;
  return { result, ms, fuel };
}

const wabt = await wabtInit();
const original = wabt.parseWat('cpu-bound.wat', readFileSync(FIXTURE, 'utf8')).toBinary({}).buffer;
const rewrite = instrument(original, { maxMemoryPages: MAX_MEMORY_PAGES, meter: false });
const meter = instrument(original, { maxMemoryPages: MAX_MEMORY_PAGES, meter: true });
const builds = {
  plain: load(original, null, null),
  rewritten: load(rewrite.bytes, rewrite.memory, null),
  metered: load(meter.bytes, meter.memory, meter.fuelGlobal),
};

const results: Record<string, unknown> = {};
let plainTotal = 0;
let meteredTotal = 0;
let fuelTotal = 0;
for (const kernel of KERNELS) {
  const expected = call(builds.plain, kernel).result;
  progress(`${kernel.name}: warming up (${WARMUP_CALLS} calls per build)`);
  for (let i = 0; i < WARMUP_CALLS; i++) for (const b of Object.values(builds)) call(b, kernel);
  let fuel = 0;
  const { median } = await repeat(ROUNDS, () => {
    const m = call(builds.metered, kernel);
    if (m.result !== expected) throw new Error(`metered ${kernel.name} computed a different result`);
    fuel = m.fuel;
    return { plain_ms: call(builds.plain, kernel).ms, rewritten_ms: call(builds.rewritten, kernel).ms, metered_ms: m.ms };
  });
  plainTotal += median.plain_ms;
  meteredTotal += median.metered_ms;
  fuelTotal += fuel;
  results[kernel.name] = {
    plain_ms: round(median.plain_ms),
    rewritten_ms: round(median.rewritten_ms),
    metered_ms: round(median.metered_ms),
    overhead_pct: round((median.metered_ms / median.plain_ms - 1) * 100, 1),
    fuel,
  };
}

emit({
  bench: 'metering',
  workload: 'test/fixtures/wat/cpu-bound.wat',
  rounds: ROUNDS,
  kernels: results,
  plain_ms: round(plainTotal),
  metered_ms: round(meteredTotal),
  overhead_pct: round((meteredTotal / plainTotal - 1) * 100, 1),
  fuel_per_metered_ms: Math.round(fuelTotal / meteredTotal),
  fuel_per_cpu_ms_constant: FUEL_PER_CPU_MS,
});

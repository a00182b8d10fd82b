/**
 * Load-time module rewriting (src/runtime/wasm/instrument): real modules written in WAT, run
 * before and after rewriting.
 *
 *   node --disable-wasm-trap-handler --import tsx --test test/runtime/instrument.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import wabtInit from 'wabt';
import { SandboxError } from '../../src/runtime/errors.js';
import { hostAccess, instrument, fuelForCpuMs, MEMORY_IMPORT, ModuleRejectedError, type InstrumentedModule } from '../../src/runtime/wasm/instrument/index.js';

const wabt = await wabtInit();
const LIMIT_PAGES = 16;

function wat(text: string): Uint8Array {
  return wabt.parseWat('test.wat', text, { threads: true }).toBinary({}).buffer;
}

function fixture(name: string): Uint8Array {
  return wat(readFileSync(new URL(`../fixtures/wat/${name}`, import.meta.url), 'utf8'));
}

function rewrite(bytes: Uint8Array, meter = true, maxMemoryPages = LIMIT_PAGES): InstrumentedModule {
  return instrument(bytes, { maxMemoryPages, meter });
}

/** The fuel counter seen through the node's accessors, as a BigInt-valued cell. */
interface FuelCell {
  value: bigint;
}

function fuelCell(exports: WebAssembly.Exports): FuelCell {
  const host = hostAccess(exports);
  return {
    get value() {
      return BigInt(host.fuel());
    },
    set value(v: bigint) {
      host.setFuel(v);
    },
  };
}

interface Running {
  exports: Record<string, any>;
  memory: WebAssembly.Memory;
  fuel: FuelCell;
}

/** Instantiates a rewritten module the way the host does: pooled memory, then the start function under a budget. */
function run(mod: InstrumentedModule, imports: WebAssembly.Imports = {}, fuel = 1_000_000n): Running {
  const memory = new WebAssembly.Memory(mod.memory);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(mod.bytes), { ...imports, [MEMORY_IMPORT.module]: { memory } });
  const cell = fuelCell(exports);
  if (mod.metered) cell.value = fuel;
  if (mod.startExport) (exports[mod.startExport] as () => void)();
  return { exports: exports as Record<string, any>, memory, fuel: cell };
}

/** Calls `fn` with a fresh budget: what it returned (or threw) and the fuel left. */
function metered(r: Running, budget: bigint, fn: () => unknown): { value: unknown; error: unknown; left: bigint } {
  r.fuel.value = budget;
  try {
    return { value: fn(), error: null, left: r.fuel.value as bigint };
  } catch (error) {
    return { value: undefined, error, left: r.fuel.value as bigint };
  }
}

const HOSTILE = wat(`(module
  (memory 1)
  (func (export "spin") (loop (br 0)))
  (func $deeper (export "recurse") (param i32) (result i32)
    (i32.add (call $deeper (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  ;; Sum of 0..n-1: a finite loop whose work is proportional to n.
  (func (export "count") (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sum (i32.add (local.get $sum) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum))
  (func (export "divide") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1))))`);

test('an endless loop traps within its budget, at the same point every time', () => {
  const mod = rewrite(HOSTILE);
  const outcomes = [0, 1, 2].map(() => {
    const r = run(mod);
    const { error, left } = metered(r, 10_000n, () => r.exports.spin());
    assert.ok(error instanceof WebAssembly.RuntimeError, `expected a trap, got ${String(error)}`);
    assert.ok(left < 0n, 'an out-of-fuel trap leaves the counter negative');
    return left;
  });
  assert.deepEqual(outcomes, [outcomes[0], outcomes[0], outcomes[0]]);
  // Spent at most one loop iteration's charge past the budget.
  assert.ok(outcomes[0] > -10n, `overshoot ${outcomes[0]}`);
});

test('a loop that calls a function traps within its budget too', () => {
  const r = run(rewrite(fixture('control-flow.wat')));
  const { error, left } = metered(r, 10_000n, () => r.exports.spin_calling());
  assert.ok(error instanceof WebAssembly.RuntimeError);
  assert.ok(left < 0n);
});

test('another trap leaves the counter non-negative, so the host can tell them apart', () => {
  const r = run(rewrite(HOSTILE));
  const { error, left } = metered(r, 10_000n, () => r.exports.divide(1, 0));
  assert.ok(error instanceof WebAssembly.RuntimeError);
  assert.ok(left >= 0n);
});

test('an instance keeps working after a neighbour ran out of fuel', () => {
  const mod = rewrite(HOSTILE);
  const victim = run(mod);
  const neighbour = run(mod);
  assert.ok(metered(victim, 5_000n, () => victim.exports.spin()).error instanceof WebAssembly.RuntimeError);
  assert.equal(metered(neighbour, 1_000_000n, () => neighbour.exports.count(100)).value, 4950);
});

test('unbounded recursion runs out of fuel under a small budget', () => {
  const mod = rewrite(HOSTILE);
  const [first, again] = [run(mod), run(mod)].map((r) => metered(r, 50_000n, () => r.exports.recurse(0)));
  assert.ok(first.error instanceof WebAssembly.RuntimeError);
  assert.ok(first.left < 0n);
  assert.equal(again.left, first.left);
});

test('unbounded recursion under a large budget overflows the stack: a catchable RangeError, and the process carries on', () => {
  const mod = rewrite(HOSTILE);
  const r = run(mod);
  const { error, left } = metered(r, 1n << 60n, () => r.exports.recurse(0));
  assert.ok(error instanceof RangeError, `expected a RangeError, got ${String(error)}`);
  assert.match((error as Error).message, /call stack/i);
  assert.ok(left >= 0n, 'a stack overflow is not mistaken for running out of fuel');
  const fresh = run(mod);
  assert.equal(metered(fresh, 1_000_000n, () => fresh.exports.count(10)).value, 45);
});

test('fuel spent by a finite call is deterministic and proportional to the work', () => {
  const mod = rewrite(HOSTILE);
  const spent = (n: number): bigint => {
    const r = run(mod);
    const budget = 1n << 40n;
    const { value, left } = metered(r, budget, () => r.exports.count(n));
    assert.equal(value, (n * (n - 1)) / 2);
    return budget - left;
  };
  const [a, b, c] = [1000, 2000, 3000].map(spent);
  assert.equal(spent(1000), a, 'same input, same fuel');
  const perIteration = b - a;
  assert.ok(perIteration > 1000n, 'every iteration costs fuel');
  assert.equal(c - b, perIteration, 'cost is linear in the iterations');
});

test('a budget converts from CPU milliseconds the same way every time', () => {
  assert.equal(fuelForCpuMs(50), fuelForCpuMs(50));
  assert.ok(fuelForCpuMs(100) === 2 * fuelForCpuMs(50));
  assert.ok(Number.isSafeInteger(fuelForCpuMs(60_000)));
});

test('a defined memory becomes the flick.memory import, capped at the limit', () => {
  const mod = rewrite(wat(`(module
    (memory (export "mem") 2 100)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size)))`));
  assert.deepEqual(mod.memory, { initial: 2, maximum: LIMIT_PAGES });
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(mod.bytes));
  assert.deepEqual(imports, [{ module: 'flick', name: 'memory', kind: 'memory' }]);
  const r = run(mod);
  assert.equal(r.exports.mem, undefined, 'the memory export is dropped: the host made that memory and holds it');
  assert.equal(r.exports.grow(LIMIT_PAGES - 2), 2);
  assert.equal(r.exports.grow(1), -1, 'growing past the limit fails');
  assert.equal(r.exports.size(), LIMIT_PAGES);
});

test('the module keeps its own maximum when it is below the limit, and refuses a larger host memory', () => {
  const mod = rewrite(wat('(module (memory 1 4))'));
  assert.deepEqual(mod.memory, { initial: 1, maximum: 4 });
  const tooBig = new WebAssembly.Memory({ initial: 1, maximum: 8 });
  assert.throws(() => new WebAssembly.Instance(new WebAssembly.Module(mod.bytes), { flick: { memory: tooBig } }), WebAssembly.LinkError);
});

test('an imported memory is renamed to flick.memory', () => {
  const mod = rewrite(wat(`(module
    (import "env" "f" (func $f (result i32)))
    (import "env" "mem" (memory 1))
    (func (export "g") (result i32) (i32.add (call $f) (i32.load (i32.const 0)))))`));
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(mod.bytes));
  assert.deepEqual(imports.map((i) => `${i.module}.${i.name}:${i.kind}`).sort(), ['env.f:function', 'flick.memory:memory']);
  const r = run(mod, { env: { f: () => 40 } });
  new Uint32Array(r.memory.buffer)[0] = 2;
  assert.equal(r.exports.g(), 42);
});

test('a module without memory gets an empty one, so every instance has a host memory', () => {
  const mod = rewrite(wat('(module (func (export "one") (result i32) (i32.const 1)))'));
  assert.deepEqual(mod.memory, { initial: 0, maximum: 0 });
  assert.equal(run(mod).exports.one(), 1);
});

test('a module that starts bigger than the limit is refused with memory_limit_exceeded', () => {
  assert.throws(
    () => rewrite(wat('(module (memory 17))')),
    (e: unknown) => e instanceof SandboxError && e.code === 'memory_limit_exceeded' && e.hint.includes('resources.memoryMiB'),
  );
});

test('modules the sandbox cannot isolate are refused with a typed error', () => {
  const refused = (bytes: Uint8Array, code: string) =>
    assert.throws(() => rewrite(bytes), (e: unknown) => e instanceof ModuleRejectedError && e.code === code && e.hint.length > 0);
  refused(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0xff]), 'invalid_module');
  refused(wat('(module (memory 1 1 shared))'), 'unsupported_module');
  refused(wat('(module (func (export "__flick_fuel")))'), 'reserved_name');
  refused(wat('(module (import "flick" "memory" (func)))'), 'reserved_name');
});

test('mutable globals are exported in a stable order and round-trip', () => {
  const mod = rewrite(wat(`(module
    (import "env" "shared" (global $shared (mut i32)))
    (global $a (mut i32) (i32.const 1))
    (global $k i32 (i32.const 7))
    (global $b (mut i64) (i64.const 2))
    (global $c (export "c") (mut f64) (f64.const 3.5))
    (func (export "sum") (result f64)
      (f64.add (f64.add (f64.convert_i32_s (global.get $a)) (f64.convert_i64_s (global.get $b))) (global.get $c)))
    (func (export "bump")
      (global.set $a (i32.add (global.get $a) (i32.const 10)))
      (global.set $b (i64.add (global.get $b) (i64.const 100)))))`));
  assert.equal(mod.globalCount, 3, 'the module\'s own mutable globals; not the imported one nor the constant');
  const imports = { env: { shared: new WebAssembly.Global({ value: 'i32', mutable: true }, 0) } };
  const source = run(mod, imports);
  source.exports.bump();
  const values = [0, 1, 2].map((i) => hostAccess(source.exports).global(i));
  const f64Bits = (x: number) => new BigUint64Array(new Float64Array([x]).buffer)[0];
  assert.deepEqual(values, [11n, 102n, f64Bits(3.5)]);

  const restored = run(mod, imports);
  values.forEach((bits, i) => hostAccess(restored.exports).setGlobal(i, bits));
  assert.equal(restored.exports.sum(), source.exports.sum());
  hostAccess(restored.exports).setGlobal(2, f64Bits(9.25));
  assert.equal((restored.exports.c as WebAssembly.Global).value, 9.25, 'an existing export and the accessor reach the same global');
  assert.ok(!WebAssembly.Module.exports(new WebAssembly.Module(mod.bytes)).some((e) => e.kind === 'global' && e.name.startsWith('__flick_')), 'no per-instance Global objects are added');
});

/** Calls made on the original and the rewritten module; their results must agree. */
interface Scenario {
  name: string;
  bytes: Uint8Array;
  calls: Array<[string, ...number[]]>;
  /** Reads after the calls, to compare memory too. */
  memory?: { offset: number; length: number };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'data segments',
    bytes: wat(`(module (memory (export "memory") 1)
      (data (i32.const 8) "hello, flick")
      (data (i32.const 100) "\\01\\02\\03\\04")
      (func (export "at") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "word") (result i32) (i32.load (i32.const 100))))`),
    calls: [['at', 8], ['at', 15], ['word']],
    memory: { offset: 0, length: 128 },
  },
  {
    name: 'tables and indirect calls',
    bytes: wat(`(module
      (type $op (func (param i32 i32) (result i32)))
      (table 3 funcref)
      (elem (i32.const 0) $add $sub $mul)
      (func $add (type $op) (i32.add (local.get 0) (local.get 1)))
      (func $sub (type $op) (i32.sub (local.get 0) (local.get 1)))
      (func $mul (type $op) (i32.mul (local.get 0) (local.get 1)))
      (func (export "apply") (param i32 i32 i32) (result i32)
        (call_indirect (type $op) (local.get 1) (local.get 2) (local.get 0))))`),
    calls: [['apply', 0, 7, 5], ['apply', 1, 7, 5], ['apply', 2, 7, 5]],
  },
  {
    name: 'a start function',
    bytes: wat(`(module (memory 1)
      (global $ready (mut i32) (i32.const 0))
      (func $init (global.set $ready (i32.const 41)) (i32.store (i32.const 0) (i32.const 7)))
      (start $init)
      (func (export "ready") (result i32) (i32.add (global.get $ready) (i32.load (i32.const 0)))))`),
    calls: [['ready']],
  },
  {
    name: 'loop shapes and exits',
    bytes: fixture('control-flow.wat'),
    calls: [['pow2_above', 1000], ['first_square_above', 50], ['classify', 7], ['classify', 8], ['classify', 9], ['sum_of_sums', 30], ['calls_inside', 21]],
  },
  { name: 'CPU kernels', bytes: fixture('cpu-kernels.wat'), calls: [['sieve', 1000], ['fib', 15], ['hash', 1000], ['run', 10]] },
  { name: 'clang -O2 output', bytes: fixture('cpu-mix.wat'), calls: [['_initialize'], ['run', 1]], memory: { offset: 1024, length: 4096 } },
];

function observe(exports: Record<string, any>, memory: WebAssembly.Memory, s: Scenario): unknown[] {
  const seen: unknown[] = s.calls.map(([name, ...args]) => exports[name](...args));
  if (s.memory) seen.push(Buffer.from(memory.buffer, s.memory.offset, s.memory.length).toString('hex'));
  return seen;
}

for (const s of SCENARIOS) {
  test(`rewriting keeps behaviour: ${s.name}`, () => {
    const original = new WebAssembly.Instance(new WebAssembly.Module(s.bytes));
    const originalMemory = (Object.values(original.exports).find((e) => e instanceof WebAssembly.Memory) as WebAssembly.Memory | undefined) ?? new WebAssembly.Memory({ initial: 0 });
    const expected = observe(original.exports as Record<string, any>, originalMemory, s);
    for (const meter of [false, true]) {
      const mod = rewrite(s.bytes, meter, 256);
      assert.ok(WebAssembly.validate(mod.bytes));
      const r = run(mod, {}, 1n << 40n);
      assert.deepEqual(observe(r.exports, r.memory, s), expected, meter ? 'metered' : 'unmetered');
    }
  });
}

test('the start function is exported for the host instead of running inside instantiation', () => {
  const mod = rewrite(wat('(module (func $s (loop (br 0))) (start $s))'));
  assert.equal(mod.startExport, '__flick_start');
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(mod.bytes), { flick: { memory: new WebAssembly.Memory(mod.memory) } });
  const fuel = fuelCell(exports);
  fuel.value = 1000n;
  assert.throws(() => (exports.__flick_start as () => void)(), WebAssembly.RuntimeError);
  assert.ok(fuel.value < 0n, 'a start function that never ends runs out of fuel too');
});

test('mutated modules are rewritten or refused with a typed error, never anything else', () => {
  const seeds = [fixture('control-flow.wat'), fixture('cpu-kernels.wat')];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (seed, edits) => {
      const bytes = seeds[seed].slice();
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      try {
        const mod = rewrite(bytes);
        assert.ok(WebAssembly.validate(mod.bytes), 'a rewritten module validates');
      } catch (e) {
        assert.ok(e instanceof ModuleRejectedError || e instanceof SandboxError, `unexpected ${String(e)}`);
      }
    }),
    { numRuns: 400, seed: 20261122 },
  );
  // binaryen still works afterwards: none of those inputs aborted its runtime.
  assert.equal(run(rewrite(HOSTILE)).exports.count(4), 6);
});

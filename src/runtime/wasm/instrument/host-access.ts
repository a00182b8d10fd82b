/**
 * How the host reaches a module's internal state: a few exported functions instead of exported
 * globals. Every exported global costs a `WebAssembly.Global` object at each instantiation
 * (measured: 18 exported globals added ~6 µs to a ~8 µs instantiation), while exported functions
 * cost nothing until called. Snapshots read and write globals rarely; fuel is set and read once per
 * call, as an f64 so that no BigInt is made on the request path (budgets stay far below 2^53).
 *
 * These functions are added after metering, so calling them costs no fuel.
 */
import binaryen from 'binaryen';
import { ModuleRejectedError } from './errors.js';
import { HOST_ACCESS } from './host-access-names.js';

export { HOST_ACCESS };

interface GlobalSlot {
  name: string;
  type: binaryen.Type;
}

/** The module's own mutable globals, in index order (imported ones belong to the host). */
export function mutableGlobals(module: binaryen.Module): GlobalSlot[] {
  const out: GlobalSlot[] = [];
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    if (!g.mutable || g.init === 0) continue; // only imports lack an initializer
    if (g.type !== binaryen.i32 && g.type !== binaryen.i64 && g.type !== binaryen.f32 && g.type !== binaryen.f64) {
      throw new ModuleRejectedError('unsupported_module', `the module's mutable global ${g.name} has a type snapshots cannot hold (only i32, i64, f32, f64)`, 'keep mutable state in numeric globals or in linear memory');
    }
    out.push({ name: g.name, type: g.type });
  }
  return out;
}

/** Adds `__flick_global_get` / `__flick_global_set` over `slots`. */
export function addGlobalAccessors(module: binaryen.Module, slots: readonly GlobalSlot[]): void {
  const m = module;
  const index = () => m.local.get(0, binaryen.i32);
  const is = (i: number) => m.i32.eq(index(), m.i32.const(i));
  const toBits = (s: GlobalSlot): binaryen.ExpressionRef => {
    const v = m.global.get(s.name, s.type);
    if (s.type === binaryen.i64) return v;
    if (s.type === binaryen.i32) return m.i64.extend_u(v);
    if (s.type === binaryen.f32) return m.i64.extend_u(m.i32.reinterpret(v));
    return m.i64.reinterpret(v);
  };
  const fromBits = (s: GlobalSlot): binaryen.ExpressionRef => {
    const bits = m.local.get(1, binaryen.i64);
    if (s.type === binaryen.i64) return bits;
    if (s.type === binaryen.i32) return m.i32.wrap(bits);
    if (s.type === binaryen.f32) return m.f32.reinterpret(m.i32.wrap(bits));
    return m.f64.reinterpret(bits);
  };
  const getBody = m.block(null, [...slots.map((s, i) => m.if(is(i), m.return(toBits(s)))), m.unreachable()], binaryen.i64);
  m.addFunction(HOST_ACCESS.globalGet, binaryen.i32, binaryen.i64, [], getBody);
  m.addFunctionExport(HOST_ACCESS.globalGet, HOST_ACCESS.globalGet);
  const setBody = m.block(null, [...slots.map((s, i) => m.if(is(i), m.block(null, [m.global.set(s.name, fromBits(s)), m.return()]))), m.unreachable()], binaryen.none);
  m.addFunction(HOST_ACCESS.globalSet, binaryen.createType([binaryen.i32, binaryen.i64]), binaryen.none, [], setBody);
  m.addFunctionExport(HOST_ACCESS.globalSet, HOST_ACCESS.globalSet);
}

/** Adds `__flick_fuel_set` / `__flick_fuel_get` over the i64 fuel global. */
export function addFuelAccessors(module: binaryen.Module, fuelGlobal: string): void {
  const m = module;
  m.addFunction(HOST_ACCESS.fuelSet, binaryen.f64, binaryen.none, [], m.global.set(fuelGlobal, m.i64.trunc_s_sat.f64(m.local.get(0, binaryen.f64))));
  m.addFunctionExport(HOST_ACCESS.fuelSet, HOST_ACCESS.fuelSet);
  m.addFunction(HOST_ACCESS.fuelGet, binaryen.none, binaryen.f64, [], m.f64.convert_s.i64(m.global.get(fuelGlobal, binaryen.i64)));
  m.addFunctionExport(HOST_ACCESS.fuelGet, HOST_ACCESS.fuelGet);
}

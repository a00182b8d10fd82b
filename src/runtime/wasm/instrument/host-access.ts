/**
 * How the host reaches a module's internal state: one exported control function,
 * `__flick_ctl(op, index, value: i64) → i64` (ops in host-access-names.ts), instead of exported
 * globals or one function per operation. Every export costs at each instantiation (measured: 18
 * exported globals added ~6 µs, each exported function ~0.8 µs, to a ~8 µs instantiation).
 *
 * It is added after metering, so calling it costs no fuel.
 */
import binaryen from 'binaryen';
import { ModuleRejectedError } from './errors.js';
import { CONTROL_EXPORT, ControlOp } from './host-access-names.js';

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

/**
 * Adds `__flick_ctl` over the module's mutable globals `slots` and, when metered, its fuel global.
 * An unknown op or index traps.
 */
export function addControlFunction(module: binaryen.Module, slots: readonly GlobalSlot[], fuelGlobal: string | null): void {
  const m = module;
  const op = () => m.local.get(0, binaryen.i32);
  const index = () => m.local.get(1, binaryen.i32);
  const value = () => m.local.get(2, binaryen.i64);
  const when = (cond: binaryen.ExpressionRef, result: binaryen.ExpressionRef) => m.if(cond, m.return(result));
  const isOp = (o: number) => m.i32.eq(op(), m.i32.const(o));
  const isIndex = (i: number) => m.i32.eq(index(), m.i32.const(i));
  const toBits = (s: GlobalSlot): binaryen.ExpressionRef => {
    const v = m.global.get(s.name, s.type);
    if (s.type === binaryen.i64) return v;
    if (s.type === binaryen.i32) return m.i64.extend_u(v);
    if (s.type === binaryen.f32) return m.i64.extend_u(m.i32.reinterpret(v));
    return m.i64.reinterpret(v);
  };
  const fromBits = (s: GlobalSlot): binaryen.ExpressionRef => {
    if (s.type === binaryen.i64) return value();
    if (s.type === binaryen.i32) return m.i32.wrap(value());
    if (s.type === binaryen.f32) return m.f32.reinterpret(m.i32.wrap(value()));
    return m.f64.reinterpret(value());
  };
  const zero = () => m.i64.const(0n);
  const body: binaryen.ExpressionRef[] = [];
  if (fuelGlobal) {
    body.push(m.if(isOp(ControlOp.fuelSet), m.block(null, [m.global.set(fuelGlobal, value()), m.return(zero())])));
    body.push(when(isOp(ControlOp.fuelGet), m.global.get(fuelGlobal, binaryen.i64)));
  }
  slots.forEach((s, i) => {
    body.push(when(m.i32.and(isOp(ControlOp.globalGet), isIndex(i)), toBits(s)));
    body.push(m.if(m.i32.and(isOp(ControlOp.globalSet), isIndex(i)), m.block(null, [m.global.set(s.name, fromBits(s)), m.return(zero())])));
  });
  body.push(m.unreachable());
  m.addFunction(CONTROL_EXPORT, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i64]), binaryen.i64, [], m.block(null, body, binaryen.i64));
  m.addFunctionExport(CONTROL_EXPORT, CONTROL_EXPORT);
}

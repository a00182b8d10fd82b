/**
 * The host's side of the control function the rewriter adds (host-access.ts), apart from the code
 * that adds it: instances only need this, and importing host-access.ts would load binaryen (~0.5 s
 * of startup per scheduler thread) into every thread that runs instances.
 *
 * One export, not one per operation: each export costs ~0.8 µs at every instantiation (measured),
 * which is most of a spawn's budget.
 */
export const CONTROL_EXPORT = '__flick_ctl';

/** `__flick_ctl(op, index, value: i64) → i64` operations. */
export const ControlOp = { fuelSet: 0, fuelGet: 1, globalGet: 2, globalSet: 3 } as const;

export interface HostAccess {
  /** Sets the fuel counter. */
  setFuel(fuel: bigint): void;
  /** What is left of the fuel (negative after an out-of-fuel trap). */
  fuel(): number;
  /** A mutable global's bits (f32/f64 reinterpreted, i32 zero-extended), by index. */
  global(index: number): bigint;
  setGlobal(index: number, bits: bigint): void;
}

type Control = (op: number, index: number, value: bigint) => bigint;

/** A class, not closures: one small object per instance (instances are counted in hundreds of thousands). */
class ControlFunction implements HostAccess {
  constructor(private readonly ctl: Control) {}
  setFuel(fuel: bigint): void {
    this.ctl(ControlOp.fuelSet, 0, fuel);
  }
  fuel(): number {
    return Number(this.ctl(ControlOp.fuelGet, 0, 0n));
  }
  global(index: number): bigint {
    return this.ctl(ControlOp.globalGet, index, 0n);
  }
  setGlobal(index: number, bits: bigint): void {
    this.ctl(ControlOp.globalSet, index, bits);
  }
}

export function hostAccess(exports: WebAssembly.Exports): HostAccess {
  return new ControlFunction(exports[CONTROL_EXPORT] as Control);
}

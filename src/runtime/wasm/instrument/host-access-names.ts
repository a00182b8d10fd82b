/**
 * The names of the functions the rewriter adds for the host (see host-access.ts), apart from the
 * code that adds them: instances only need the names, and importing host-access.ts would load
 * binaryen (~0.5 s of startup per scheduler thread) into every thread that runs instances.
 */
export const HOST_ACCESS = {
  /** `(index: i32) → i64`: a mutable global's bits (f32/f64 reinterpreted, i32 zero-extended). */
  globalGet: '__flick_global_get',
  /** `(index: i32, bits: i64)`: the inverse of globalGet. */
  globalSet: '__flick_global_set',
  /** `(fuel: f64)`: sets the fuel counter. */
  fuelSet: '__flick_fuel_set',
  /** `() → f64`: what is left of the fuel (negative after an out-of-fuel trap). */
  fuelGet: '__flick_fuel_get',
} as const;

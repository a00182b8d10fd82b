/**
 * Fuel units ↔ CPU time. A budget is set in fuel, so where a call traps depends only on the code
 * and its input, never on the machine or its load; the manifest speaks milliseconds, converted
 * with one constant measured on the reference machine.
 */

/**
 * Fuel units (≈ wasm instructions, see metering.ts) the reference machine (the 2-core dev VM) runs
 * per millisecond of metered CPU time, on clang -O2 code: bench/metering.ts, workload `mix`
 * (test/fixtures/wat/cpu-mix.wat), `fuel_per_metered_ms` over three runs: 11.5 M, 9.2 M, 11.7 M.
 * Code differs in cost per instruction (the same bench: ~4.3 M/ms for call-heavy recursion, ~19 M/ms
 * for tight ALU loops), so a budget in milliseconds is approximate; the fuel count is exact.
 */
export const FUEL_PER_CPU_MS = 11_500_000;

/** The fuel budget for `cpuMs` milliseconds of metered work: the same number for the same input, always. */
export function fuelForCpuMs(cpuMs: number): number {
  return Math.round(cpuMs * FUEL_PER_CPU_MS);
}

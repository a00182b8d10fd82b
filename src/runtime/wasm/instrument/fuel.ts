/**
 * Fuel units ↔ CPU time. A budget is set in fuel (so where a call traps depends only on the code
 * and its input, never on the machine or its load); the manifest speaks milliseconds, converted
 * with one constant measured on the reference machine (bench/metering.ts prints the measurement).
 */

/**
 * Fuel units (≈ wasm instructions, see metering.ts) the reference machine runs per millisecond of
 * CPU, measured by bench/metering.ts on the CPU-bound fixture (test/fixtures/wat/cpu-bound.wat).
 */
export const FUEL_PER_CPU_MS = 1_000_000;

/** The fuel budget for `cpuMs` milliseconds of metered work: the same number for the same input, always. */
export function fuelForCpuMs(cpuMs: number): number {
  return Math.round(cpuMs * FUEL_PER_CPU_MS);
}

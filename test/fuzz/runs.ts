/**
 * The one convention of every fuzz target: how many cases, and from which seed.
 *
 * - `npm test` runs each property a short, per-target number of times (sized so the file takes
 *   seconds); `npm run fuzz` sets FLICK_FUZZ_RUNS=100000 and every property runs that many cases.
 * - One seed per test file, random unless FLICK_FUZZ_SEED is set, shown in the suite's title so a
 *   failure in any report says how to replay it (`FLICK_FUZZ_SEED=<seed> node … FILE`). fast-check's
 *   own failure message adds the shrunk counterexample.
 */
import { randomInt } from 'node:crypto';

const longRuns = process.env.FLICK_FUZZ_RUNS === undefined ? undefined : Number(process.env.FLICK_FUZZ_RUNS);
if (longRuns !== undefined && !(Number.isInteger(longRuns) && longRuns > 0)) throw new Error(`FLICK_FUZZ_RUNS=${process.env.FLICK_FUZZ_RUNS} is not a positive whole number`);

export const FUZZ_SEED = process.env.FLICK_FUZZ_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.FLICK_FUZZ_SEED);
if (!Number.isInteger(FUZZ_SEED)) throw new Error(`FLICK_FUZZ_SEED=${process.env.FLICK_FUZZ_SEED} is not a whole number`);

/** True under `npm run fuzz`. */
export const LONG_FUZZ = longRuns !== undefined;

/** Cases per property: `short` inside `npm test`, FLICK_FUZZ_RUNS when it is set. */
export function fuzzRuns(short: number): number {
  return longRuns ?? short;
}

/** fast-check parameters for one property: its number of runs and the file's seed. */
export function fuzzParameters(short: number): { numRuns: number; seed: number } {
  return { numRuns: fuzzRuns(short), seed: FUZZ_SEED };
}

/** A suite title that carries the seed, e.g. "manifest fuzzing (seed 12345: FLICK_FUZZ_SEED=12345 replays it)". */
export function fuzzSuite(name: string): string {
  return `${name} (seed ${FUZZ_SEED}: FLICK_FUZZ_SEED=${FUZZ_SEED} replays it)`;
}

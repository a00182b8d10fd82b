/**
 * What every benchmark shares: repetition, percentiles, medians of repeated runs, and one JSON
 * object on stdout at the end (progress goes to stderr).
 */
/** Fewer repetitions for a smoke run: `flick bench NAME --quick`, or FLICK_BENCH_QUICK=1 (which `flick bench all` hands on). */
export const quick = process.argv.includes('--quick') || process.env.FLICK_BENCH_QUICK === '1';

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

export function median(xs: number[]): number {
  return percentile(sortedCopy(xs), 50);
}

/** Microseconds since an arbitrary origin, sub-microsecond resolution. */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

export function emit(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Runs `once` `runs` times and reports the median of each numeric field, plus every run. */
export async function repeat<T extends Record<string, number>>(runs: number, once: (i: number) => T | Promise<T>): Promise<{ median: T; runs: T[] }> {
  const all: T[] = [];
  for (let i = 0; i < runs; i++) {
    all.push(await once(i));
    progress(`run ${i + 1}/${runs}: ${JSON.stringify(all[i])}`);
  }
  const med = {} as Record<string, number>;
  for (const k of Object.keys(all[0])) med[k] = median(all.map((r) => r[k]));
  return { median: med as T, runs: all };
}

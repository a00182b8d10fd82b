/** Reading numbers the user typed: a bad one is a usage error (exit 2) that says what was expected. */
import { CliError } from './errors.js';

export function integerArg(name: string, value: string, min: number, hint: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new CliError(`${name} ${value} is not a whole number of at least ${min}`, hint, 2);
  return n;
}

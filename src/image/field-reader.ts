/**
 * Reads typed fields out of parsed JSON, failing with a ManifestError that names the field path and
 * says how to fix it. Used for the manifest and for the `build` section of `flick.json`.
 */
import { closestName } from './closest-name.js';
import { ManifestError, type ManifestOrigin } from './errors.js';

export type JsonObject = Record<string, unknown>;

export class FieldReader {
  constructor(readonly origin: ManifestOrigin) {}

  fail(path: string, problem: string, hint: string): never {
    throw new ManifestError('invalid_manifest', this.origin, path, problem, hint);
  }

  /** A plain JSON object whose keys are all among `known`; an unknown key is an error, with a suggestion when close. */
  object(value: unknown, path: string, known: readonly string[]): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${describe(value)}`, `write ${path || 'the manifest'} as a JSON object { ... }`);
    }
    const fields = value as JsonObject;
    for (const key of Object.keys(fields)) {
      if (known.includes(key)) continue;
      const suggestion = closestName(key, known);
      this.fail(
        childPath(path, shortKey(key)),
        'is not a known field',
        suggestion ? `did you mean "${suggestion}"?` : `remove it; known fields here: ${known.join(', ')}`,
      );
    }
    return fields;
  }

  string(value: unknown, path: string, rule: { pattern: RegExp; maxLength: number; hint: string }): string {
    if (typeof value !== 'string') this.fail(path, `must be a string, got ${describe(value)}`, rule.hint);
    if (value.length > rule.maxLength || !rule.pattern.test(value)) this.fail(path, `is not valid, got ${describe(value)}`, rule.hint);
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be a whole number between ${min} and ${max}, got ${describe(value)}`, `use a whole number between ${min} and ${max}`);
    }
    // -0 (JSON.parse reads "-0" so) becomes 0: the normalized manifest is what JSON would carry.
    return value === 0 ? 0 : value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, `must be true or false, got ${describe(value)}`, 'use true or false (without quotes)');
    return value;
  }

  choice<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      const suggestion = typeof value === 'string' ? closestName(value, choices) : undefined;
      this.fail(
        path,
        `must be one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${describe(value)}`,
        suggestion ? `did you mean "${suggestion}"?` : `use one of ${choices.map((c) => `"${c}"`).join(', ')}`,
      );
    }
    return value as T;
  }

  /** A list of at most `maxItems` strings, each read by `item`; duplicates are refused (they are always a mistake here). */
  stringList(value: unknown, path: string, maxItems: number, item: (value: unknown, path: string) => string): string[] {
    if (!Array.isArray(value)) this.fail(path, `must be a list, got ${describe(value)}`, `write ${path} as a JSON list [ ... ]`);
    if (value.length > maxItems) this.fail(path, `has ${value.length} entries, more than ${maxItems}`, `keep at most ${maxItems} entries`);
    const items: string[] = [];
    value.forEach((raw, i) => {
      const read = item(raw, `${path}[${i}]`);
      if (items.includes(read)) this.fail(`${path}[${i}]`, `repeats ${describe(read)}`, 'remove the duplicate');
      items.push(read);
    });
    return items;
  }
}

export function childPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/** An unknown key as it appears in an error's path: a hostile 1 MB key must not make a 1 MB message. */
export function shortKey(key: string): string {
  return key.length > 64 ? `${key.slice(0, 40)}…` : key;
}

/** A short, safe rendering of a JSON value for error messages. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'a list' : 'an object';
}

/** `fallback` when the field is absent; unlike `??`, an explicit `null` stays and is reported as the wrong type. */
export function orDefault(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value;
}

/**
 * Reads a JSON request body against a small field schema: bad JSON, unknown fields, missing or
 * mistyped fields each give a 400 that names the field.
 */
import type { IncomingMessage } from 'node:http';

export type FieldType = 'string' | 'number' | 'integer' | 'boolean';
export type BodySchema = Record<string, { type: FieldType; required?: boolean; min?: number; max?: number }>;

export class BadRequest extends Error {
  readonly httpStatus = 400;
  constructor(
    readonly field: string | null,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'BadRequest';
  }
}

export async function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw Object.assign(new BadRequest(null, `the request body is larger than ${limit} bytes`, 'send a smaller body'), { httpStatus: 413 });
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const TYPE_NAMES: Record<FieldType, string> = { string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'a boolean' };

function hasType(v: unknown, type: FieldType): boolean {
  if (type === 'integer') return Number.isInteger(v);
  return typeof v === type && (type !== 'number' || Number.isFinite(v));
}

export function parseJsonBody<T>(raw: Buffer, schema: BodySchema): T {
  let value: unknown;
  try {
    value = raw.length ? JSON.parse(raw.toString('utf8')) : {};
  } catch (e) {
    throw new BadRequest(null, `the body is not valid JSON: ${(e as Error).message}`, 'send a JSON object, e.g. {"to": 1}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest(null, 'the body must be a JSON object', 'send a JSON object, e.g. {"to": 1}');
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!Object.hasOwn(schema, k)) throw new BadRequest(k, `unknown field '${k}'`, `allowed fields: ${Object.keys(schema).join(', ')}`);
  }
  for (const [k, rule] of Object.entries(schema)) {
    const v = obj[k];
    if (v === undefined) {
      if (rule.required) throw new BadRequest(k, `field '${k}' is required`, `add "${k}" (a ${rule.type})`);
      continue;
    }
    if (!hasType(v, rule.type)) throw new BadRequest(k, `field '${k}' must be ${TYPE_NAMES[rule.type]}, not ${JSON.stringify(v)}`, `send "${k}" as ${TYPE_NAMES[rule.type]}`);
    if (typeof v === 'number' && ((rule.min !== undefined && v < rule.min) || (rule.max !== undefined && v > rule.max))) {
      throw new BadRequest(k, `field '${k}' is ${v}, outside ${rule.min ?? '-∞'}..${rule.max ?? '∞'}`, `use a value between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'}`);
    }
  }
  return obj as T;
}

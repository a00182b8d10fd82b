/**
 * W3C Trace Context (`traceparent: 00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`):
 * parsing what a client sent and making ids for the spans flick adds. Ids come from a pool of
 * random bytes refilled in bulk, so a request costs one slice of it rather than a crypto call.
 */
import { randomFillSync } from 'node:crypto';

export interface TraceParent {
  traceId: string;
  /** The caller's span: the parent of flick's ingress span. */
  parentSpanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO_TRACE = '0'.repeat(32);
const ALL_ZERO_SPAN = '0'.repeat(16);

/** The parsed header, or null when it is absent or malformed (the spec says: then start a new trace). */
export function parseTraceParent(value: string | undefined): TraceParent | null {
  if (value === undefined) return null;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m || m[1] === ALL_ZERO_TRACE || m[2] === ALL_ZERO_SPAN) return null;
  return { traceId: m[1], parentSpanId: m[2], sampled: (Number.parseInt(m[3], 16) & 1) === 1 };
}

export function formatTraceParent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);

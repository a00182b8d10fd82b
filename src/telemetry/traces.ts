/**
 * Request traces. The hot path keeps one compact `RequestTrace` per request (ids, timings from the
 * node's RequestEvent); spans are only built from it when someone looks (API, dashboard) or when
 * the OTLP exporter sends them. Recent traces live in a fixed-size ring.
 */
import type { RequestEvent } from '../node/node.js';
import { newSpanId } from './trace-context.js';

/** One request as seen by ingress, with the node's own account of it attached when it arrives. */
export interface RequestTrace {
  traceId: string;
  /** The caller's span (from its `traceparent`), or null when flick started the trace. */
  parentSpanId: string | null;
  /** Flick's ingress span: the id returned to the client in `traceparent`. */
  spanId: string;
  /** The node's dispatch span: the parent id the instance sees in its request's `traceparent`. */
  nodeSpanId: string;
  sampled: boolean;
  app: string;
  method: string;
  url: string;
  /** `performance.now()` at start and end of the ingress span, ms. */
  start: number;
  end: number;
  status: number;
  /** What the node reported (instance, scheduler, timings); null if it never got the request. */
  event: TracedEvent | null;
}

/**
 * The node's RequestEvent without the request it carries: a trace stays in the ring for the next
 * thousand requests, and holding each request's headers and body that long made them outlive the
 * young generation on a busy node (a scavenge every ~130 ms at 5,000 requests/s), so they were
 * copied, promoted and left for full collections: the main thread's GC pauses.
 */
export type TracedEvent = Omit<RequestEvent, 'request'>;

export type SpanKind = 'server' | 'internal';
export type AttributeValue = string | number | boolean;

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  /** Wall-clock times, ms since the epoch (fractional: µs precision). */
  startMs: number;
  endMs: number;
  attributes: Record<string, AttributeValue>;
  error: string | null;
}

export interface TraceSummary {
  traceId: string;
  app: string;
  method: string;
  url: string;
  status: number;
  error: string | null;
  instance: string | null;
  startedAt: number;
  durationMs: number;
}

const wall = (t: number): number => performance.timeOrigin + t;

/**
 * ingress → node.dispatch → scheduler.queue + instance.handle. The scheduler reports how long it
 * ran the call; the rest of the node's time is queueing and the trip to and from its thread, so
 * the instance span is placed at the end of the dispatch span.
 */
export function spansOf(t: RequestTrace): Span[] {
  const ev = t.event;
  const ingress: Span = {
    traceId: t.traceId, spanId: t.spanId, parentSpanId: t.parentSpanId, name: `ingress ${t.app}`, kind: 'server',
    startMs: wall(t.start), endMs: wall(t.end),
    attributes: { 'flick.app': t.app, 'http.request.method': t.method, 'url.path': t.url, 'http.response.status_code': t.status },
    error: ev?.error ?? (t.status >= 500 ? `status ${t.status}` : null),
  };
  if (!ev) return [ingress];
  const nodeStart = wall(ev.startedAt);
  const nodeEnd = nodeStart + ev.durationMs;
  const runMs = Math.min(ev.schedulerUs / 1000, ev.durationMs);
  const where: Record<string, AttributeValue> = { 'flick.release': ev.release, 'flick.scheduler': ev.scheduler };
  if (ev.instance) where['flick.instance'] = ev.instance;
  const spans: Span[] = [
    ingress,
    { traceId: t.traceId, spanId: t.nodeSpanId, parentSpanId: t.spanId, name: 'node.dispatch', kind: 'internal', startMs: nodeStart, endMs: nodeEnd, attributes: where, error: ev.error },
  ];
  if (ev.scheduler < 0) return spans;
  spans.push(
    { traceId: t.traceId, spanId: newSpanId(), parentSpanId: t.nodeSpanId, name: `scheduler ${ev.scheduler} queue`, kind: 'internal', startMs: nodeStart, endMs: nodeEnd - runMs, attributes: { 'flick.scheduler': ev.scheduler }, error: null },
    { traceId: t.traceId, spanId: newSpanId(), parentSpanId: t.nodeSpanId, name: `instance ${ev.instance ?? `(per-request) ${ev.release}`}`, kind: 'internal', startMs: nodeEnd - runMs, endMs: nodeEnd, attributes: where, error: ev.error },
  );
  return spans;
}

export function summaryOf(t: RequestTrace): TraceSummary {
  return {
    traceId: t.traceId, app: t.app, method: t.method, url: t.url, status: t.status, error: t.event?.error ?? null,
    instance: t.event?.instance ?? null, startedAt: wall(t.start), durationMs: t.end - t.start,
  };
}

/** The last `capacity` traces, oldest overwritten first. */
export class TraceBuffer {
  private readonly ring: Array<RequestTrace | undefined>;
  private next = 0;

  constructor(readonly capacity = 1000) {
    this.ring = new Array(capacity);
  }

  add(t: RequestTrace): void {
    this.ring[this.next] = t;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first, optionally only one app's. */
  recent(limit: number, app?: string): RequestTrace[] {
    const out: RequestTrace[] = [];
    for (let i = 1; i <= this.capacity && out.length < limit; i++) {
      const t = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (!t) break;
      if (app === undefined || t.app === app) out.push(t);
    }
    return out;
  }

  get(traceId: string): RequestTrace[] {
    return this.ring.filter((t): t is RequestTrace => t?.traceId === traceId);
  }
}

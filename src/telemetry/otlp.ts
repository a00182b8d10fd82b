/**
 * Sends finished traces to an OpenTelemetry collector over OTLP/HTTP with JSON bodies
 * (POST <endpoint>/v1/traces). Traces wait in a bounded queue and leave in batches once a second;
 * when the collector is slow or down the oldest are dropped (and counted), never the node's memory.
 */
import type { NodeLogger } from './node-logger.js';
import { spansOf, type AttributeValue, type RequestTrace, type Span } from './traces.js';

export interface OtlpOptions {
  endpoint: string;
  intervalMs?: number;
  maxQueue?: number;
  maxBatch?: number;
  timeoutMs?: number;
}

/** The signal path is appended unless the endpoint already names it (both forms are common in configs). */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

export class OtlpExporter {
  readonly url: string;
  private queue: RequestTrace[] = [];
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();
  private failing = false;
  readonly stats = { exported: 0, dropped: 0, failedBatches: 0 };

  constructor(
    private readonly opts: OtlpOptions,
    private readonly log: NodeLogger,
  ) {
    this.url = tracesUrl(opts.endpoint);
    this.timer = setInterval(() => void this.flush(), opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  add(t: RequestTrace): void {
    if (!t.sampled) return;
    if (this.queue.length >= (this.opts.maxQueue ?? 4096)) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push(t);
  }

  /** Sends what is queued; batches go one at a time, in order. */
  flush(): Promise<void> {
    this.sending = this.sending.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch ?? 512);
        await this.send(batch);
      }
    });
    return this.sending;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async send(batch: RequestTrace[]): Promise<void> {
    const spans = batch.flatMap(spansOf).map(toOtlpSpan);
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(otlpBody(spans)),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`the collector answered ${res.status}`);
      this.stats.exported += batch.length;
      if (this.failing) this.log.info({ url: this.url }, 'OTLP export recovered');
      this.failing = false;
    } catch (e) {
      this.stats.failedBatches++;
      this.stats.dropped += batch.length;
      // One warning per outage, not one per batch.
      if (!this.failing) this.log.warn({ url: this.url, err: (e as Error).message }, 'OTLP export failed; traces are dropped until the collector answers');
      this.failing = true;
    }
  }
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code: number; message?: string };
}

interface OtlpAttribute {
  key: string;
  value: { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
}

// OTLP SpanKind: 1 internal, 2 server. Status: 1 ok, 2 error.
const KIND = { internal: 1, server: 2 } as const;

/** Epoch ms (µs precision) as a decimal nanosecond string: a double cannot hold ns since 1970 exactly. */
function unixNano(ms: number): string {
  return `${Math.round(ms * 1000)}000`;
}

function toOtlpSpan(s: Span): OtlpSpan {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    name: s.name,
    kind: KIND[s.kind],
    startTimeUnixNano: unixNano(s.startMs),
    endTimeUnixNano: unixNano(s.endMs),
    attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: attributeValue(v) })),
    status: s.error ? { code: 2, message: s.error } : { code: 1 },
  };
}

function attributeValue(v: AttributeValue): OtlpAttribute['value'] {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

function otlpBody(spans: OtlpSpan[]): unknown {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'flick' } }] },
      scopeSpans: [{ scope: { name: 'flick' }, spans }],
    }],
  };
}

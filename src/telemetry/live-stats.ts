/**
 * The last minute, second by second, for live views (dashboard charts, `flick top`): per app the
 * requests, errors and a coarse latency histogram (enough for a p99 within one bucket, ~25%), and
 * per node the instance count and memory sampled each second. Fixed-size arrays per app: the
 * request path increments two numbers.
 */
import type { FlickNode, RequestEvent } from '../node/node.js';

export const WINDOW_S = 60;
// Latency bucket i holds durations up to FIRST_BOUND_MS × GROWTH^i (the last one is unbounded).
const BUCKETS = 48;
const FIRST_BOUND_MS = 0.02;
const GROWTH = 1.25;
const LOG_GROWTH = Math.log(GROWTH);

function bucketOf(ms: number): number {
  if (ms <= FIRST_BOUND_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FIRST_BOUND_MS) / LOG_GROWTH));
}

const boundOf = (bucket: number): number => FIRST_BOUND_MS * GROWTH ** bucket;

class AppWindow {
  /** The epoch second each slot holds; a slot from an older second is stale. */
  readonly second = new Float64Array(WINDOW_S);
  readonly requests = new Uint32Array(WINDOW_S);
  readonly errors = new Uint32Array(WINDOW_S);
  readonly latency = new Uint32Array(WINDOW_S * BUCKETS);

  record(sec: number, ms: number, failed: boolean): void {
    const slot = sec % WINDOW_S;
    if (this.second[slot] !== sec) {
      this.second[slot] = sec;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
      this.latency.fill(0, slot * BUCKETS, slot * BUCKETS + BUCKETS);
    }
    this.requests[slot]++;
    if (failed) this.errors[slot]++;
    this.latency[slot * BUCKETS + bucketOf(ms)]++;
  }

  /** Sums over the seconds [from, to], as {requests, errors, p99 ms}. */
  sum(from: number, to: number): { requests: number; errors: number; p99Ms: number | null } {
    let requests = 0;
    let errors = 0;
    const hist = new Uint32Array(BUCKETS);
    for (let s = from; s <= to; s++) {
      const slot = s % WINDOW_S;
      if (this.second[slot] !== s) continue;
      requests += this.requests[slot];
      errors += this.errors[slot];
      for (let b = 0; b < BUCKETS; b++) hist[b] += this.latency[slot * BUCKETS + b];
    }
    return { requests, errors, p99Ms: percentile(hist, requests, 0.99) };
  }
}

function percentile(hist: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  let seen = 0;
  const rank = Math.ceil(total * q);
  for (let b = 0; b < BUCKETS; b++) {
    seen += hist[b];
    if (seen >= rank) return boundOf(b);
  }
  return boundOf(BUCKETS - 1);
}

export interface AppRates {
  /** Requests per second over the last `rateWindowS` complete seconds. */
  rps: number;
  errorsPerS: number;
  p99Ms: number | null;
}

export interface LiveSeries {
  /** Epoch seconds, oldest first. */
  t: number[];
  apps: Record<string, { rps: number[]; p99Ms: Array<number | null>; errors: number[] }>;
  instances: number[];
  memoryBytes: number[];
}

export class LiveStats {
  private readonly apps = new Map<string, AppWindow>();
  private readonly instances = new Float64Array(WINDOW_S);
  private readonly memory = new Float64Array(WINDOW_S);
  private readonly sampledAt = new Float64Array(WINDOW_S);
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly node: FlickNode,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
    this.sample();
  }

  observe(ev: RequestEvent): void {
    let w = this.apps.get(ev.app);
    if (!w) this.apps.set(ev.app, (w = new AppWindow()));
    w.record(Math.floor(this.now() / 1000), ev.durationMs, ev.error !== null);
  }

  /** Rates over the last `seconds` complete seconds (the current one is still filling). */
  rates(app: string, seconds = 5): AppRates {
    const w = this.apps.get(app);
    if (!w) return { rps: 0, errorsPerS: 0, p99Ms: null };
    const last = Math.floor(this.now() / 1000) - 1;
    const s = w.sum(last - seconds + 1, last);
    return { rps: s.requests / seconds, errorsPerS: s.errors / seconds, p99Ms: s.p99Ms };
  }

  series(): LiveSeries {
    const last = Math.floor(this.now() / 1000) - 1;
    const out: LiveSeries = { t: [], apps: {}, instances: [], memoryBytes: [] };
    for (const app of this.apps.keys()) out.apps[app] = { rps: [], p99Ms: [], errors: [] };
    for (let s = last - WINDOW_S + 2; s <= last; s++) {
      out.t.push(s);
      for (const [app, w] of this.apps) {
        const one = w.sum(s, s);
        out.apps[app].rps.push(one.requests);
        out.apps[app].errors.push(one.errors);
        out.apps[app].p99Ms.push(one.p99Ms);
      }
      const slot = s % WINDOW_S;
      const sampled = this.sampledAt[slot] === s;
      out.instances.push(sampled ? this.instances[slot] : 0);
      out.memoryBytes.push(sampled ? this.memory[slot] : 0);
    }
    return out;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const sec = Math.floor(this.now() / 1000);
    let n = 0;
    let bytes = 0;
    for (const rec of this.node.table.all()) {
      n++;
      if (rec.status === 'running') bytes += rec.memoryBytes;
    }
    const slot = sec % WINDOW_S;
    this.sampledAt[slot] = sec;
    this.instances[slot] = n;
    this.memory[slot] = bytes;
  }
}

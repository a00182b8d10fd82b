/**
 * Instances' log lines (their stdout, stderr and log calls), kept in memory for `flick logs` and
 * followed live. Bounded three ways, so a chatty app cannot exhaust the node's memory:
 *   - a line longer than `maxLineChars` is cut;
 *   - each source (an instance, or a release's per-request instances) keeps its last `linesPerSource`;
 *   - all sources together hold at most `maxTotalChars`: beyond it the oldest lines of the
 *     least recently written source go first.
 */
import type { LogLine } from '../node/scheduler/protocol.js';

export interface StoredLogLine {
  /** Increases by one per line the node received: `since` for followers and for ordering. */
  seq: number;
  /** Epoch ms when the node received the line. */
  time: number;
  app: string;
  release: string;
  instance: string | null;
  level: LogLine['level'];
  message: string;
}

export interface LogLimits {
  linesPerSource: number;
  maxLineChars: number;
  maxTotalChars: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { linesPerSource: 1000, maxLineChars: 4096, maxTotalChars: 16 << 20 };

export interface LogQuery {
  app: string;
  instance?: string;
  /** Only lines with a larger seq. */
  since?: number;
  /** At most this many of the newest matching lines. */
  tail?: number;
}

class Ring {
  private readonly lines: StoredLogLine[] = [];
  private head = 0;
  chars = 0;

  constructor(
    readonly app: string,
    /** The instance id, or the release id for per-request instances. */
    readonly source: string,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.lines.length - this.head;
  }

  /** Adds a line; returns the characters it displaced (a full ring drops its oldest). */
  push(line: StoredLogLine): number {
    let freed = 0;
    if (this.size >= this.capacity) freed = this.dropOldest();
    this.lines.push(line);
    this.chars += line.message.length;
    return freed;
  }

  dropOldest(): number {
    const old = this.lines[this.head++];
    this.chars -= old.message.length;
    // Compact once the dead prefix is as long as the live part: amortised O(1) per line.
    if (this.head >= this.capacity || this.head * 2 >= this.lines.length) {
      this.lines.splice(0, this.head);
      this.head = 0;
    }
    return old.message.length;
  }

  *entries(): Iterable<StoredLogLine> {
    for (let i = this.head; i < this.lines.length; i++) yield this.lines[i];
  }
}

type Follower = { query: LogQuery; deliver: (line: StoredLogLine) => void };

export class LogBuffer {
  /** Map order is least recently written first: the eviction order. */
  private readonly sources = new Map<string, Ring>();
  private readonly followers = new Set<Follower>();
  private totalChars = 0;
  private seq = 0;
  /** Lines pushed out by the per-source or total bounds. */
  dropped = 0;

  constructor(private readonly limits: LogLimits = DEFAULT_LOG_LIMITS) {}

  add(app: string, line: LogLine): StoredLogLine {
    const message = line.message.length > this.limits.maxLineChars
      ? `${line.message.slice(0, this.limits.maxLineChars)}… [${line.message.length - this.limits.maxLineChars} more characters cut]`
      : line.message;
    const stored: StoredLogLine = { seq: ++this.seq, time: Date.now(), app, release: line.release, instance: line.instance, level: line.level, message };
    const source = line.instance ?? line.release;
    const key = `${app}\0${source}`;
    let ring = this.sources.get(key);
    if (ring) this.sources.delete(key);
    else ring = new Ring(app, source, this.limits.linesPerSource);
    this.sources.set(key, ring);
    if (ring.size >= this.limits.linesPerSource) this.dropped++;
    const displaced = ring.push(stored);
    this.totalChars += message.length - displaced;
    this.enforceTotal();
    for (const f of this.followers) if (matches(f.query, stored)) f.deliver(stored);
    return stored;
  }

  read(query: LogQuery): StoredLogLine[] {
    const out: StoredLogLine[] = [];
    for (const ring of this.sources.values()) {
      if (ring.app !== query.app || (query.instance !== undefined && ring.source !== query.instance)) continue;
      for (const line of ring.entries()) if (line.seq > (query.since ?? 0)) out.push(line);
    }
    out.sort((a, b) => a.seq - b.seq);
    return query.tail !== undefined && out.length > query.tail ? out.slice(out.length - query.tail) : out;
  }

  /** Calls `deliver` with each new matching line until the returned function is called. */
  follow(query: LogQuery, deliver: (line: StoredLogLine) => void): () => void {
    const f: Follower = { query, deliver };
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  /** Characters held, for tests and the overview. */
  get heldChars(): number {
    return this.totalChars;
  }

  get heldLines(): number {
    let n = 0;
    for (const ring of this.sources.values()) n += ring.size;
    return n;
  }

  private enforceTotal(): void {
    while (this.totalChars > this.limits.maxTotalChars) {
      const [key, oldest] = this.sources.entries().next().value as [string, Ring];
      this.totalChars -= oldest.dropOldest();
      this.dropped++;
      if (oldest.size === 0) this.sources.delete(key);
    }
  }
}

function matches(q: LogQuery, line: StoredLogLine): boolean {
  return line.app === q.app && (q.instance === undefined || line.instance === q.instance || (line.instance === null && line.release === q.instance));
}

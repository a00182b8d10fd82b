/**
 * Failed requests are logged, but a hostile or broken app can fail thousands of times a second: a
 * line each would cost the node's main thread more than serving the refusals, and fill the disk.
 * So each kind of failure (app + error code) logs at most one line per window; the next line says
 * how many were left out since. No timers: the count is reported with the next occurrence.
 */
export class LogThrottle {
  private readonly kinds = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(
    private readonly windowMs = 1000,
    private readonly now: () => number = () => performance.now(),
    /** Kinds remembered at most; the oldest are forgotten (bounded memory whatever the traffic). */
    private readonly maxKinds = 4096,
  ) {}

  /** Whether to log this occurrence of `kind`, and how many were left out since its last line (-1: do not log). */
  admit(kind: string): number {
    const t = this.now();
    const k = this.kinds.get(kind);
    if (k === undefined) {
      if (this.kinds.size >= this.maxKinds) this.kinds.delete(this.kinds.keys().next().value!);
      this.kinds.set(kind, { loggedAt: t, suppressed: 0 });
      return 0;
    }
    if (t - k.loggedAt < this.windowMs) {
      k.suppressed++;
      return -1;
    }
    const left = k.suppressed;
    k.loggedAt = t;
    k.suppressed = 0;
    return left;
  }
}

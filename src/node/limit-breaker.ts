/**
 * An app that keeps hitting its limits is refused for a while, like an OTP supervisor that gives
 * up after too many restarts in its period. Every limit hit (CPU budget, memory, deadline,
 * stack, host-call flood, a response past the size limit) costs the node a full budget of CPU or
 * memory on a scheduler that well-behaved apps share; past `intensity` hits within `periodMs` the breaker opens and the app's requests
 * are answered at once with 503 + Retry-After, for a cool-down that doubles while the app keeps
 * failing (up to `maxCoolDownMs`). After the cool-down one request is let through: if it passes,
 * the breaker closes; if it hits a limit, the breaker opens again, longer.
 */

/** Codes that mean the app burned its budget: the ones the breaker counts. */
export const LIMIT_CODES: ReadonlySet<string> = new Set(['cpu_budget_exceeded', 'memory_limit_exceeded', 'deadline_exceeded', 'stack_overflow', 'response_too_large']);

export interface BreakerPolicy {
  intensity: number;
  periodMs: number;
  coolDownMs: number;
  maxCoolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = { intensity: 5, periodMs: 5000, coolDownMs: 1000, maxCoolDownMs: 30_000 };

interface AppState {
  hits: number[];
  openUntil: number;
  coolDownMs: number;
  /** A request is out testing the app after a cool-down. */
  probing: boolean;
}

export type Admission = { ok: true; probe: boolean } | { ok: false; retryAfterMs: number; hits: number };

export class LimitBreaker {
  private readonly apps = new Map<string, AppState>();

  constructor(
    private readonly policy: BreakerPolicy = DEFAULT_BREAKER,
    private readonly now: () => number = () => performance.now(),
  ) {}

  admit(app: string): Admission {
    const s = this.apps.get(app);
    if (!s || s.openUntil === 0) return { ok: true, probe: false };
    const t = this.now();
    if (t < s.openUntil || s.probing) return { ok: false, retryAfterMs: Math.max(0, s.openUntil - t), hits: s.hits.length };
    s.probing = true;
    return { ok: true, probe: true };
  }

  /** Reports how an admitted request ended. */
  record(app: string, probe: boolean, limitHit: boolean): void {
    let s = this.apps.get(app);
    if (!limitHit) {
      if (s && probe) this.apps.delete(app); // the app behaves again: forget its past
      return;
    }
    const t = this.now();
    if (!s) this.apps.set(app, (s = { hits: [], openUntil: 0, coolDownMs: this.policy.coolDownMs, probing: false }));
    s.hits.push(t);
    while (s.hits.length > 0 && s.hits[0] < t - this.policy.periodMs) s.hits.shift();
    if (probe) {
      s.probing = false;
      s.coolDownMs = Math.min(s.coolDownMs * 2, this.policy.maxCoolDownMs);
      s.openUntil = t + s.coolDownMs;
    } else if (s.openUntil === 0 && s.hits.length > this.policy.intensity) {
      s.openUntil = t + s.coolDownMs;
    }
  }

  /** Apps refused right now (for telemetry and `flick ps`). */
  open(): string[] {
    const t = this.now();
    return [...this.apps].filter(([, s]) => s.openUntil > t).map(([app]) => app);
  }
}

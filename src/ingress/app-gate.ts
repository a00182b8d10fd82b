/**
 * Overload control per app: at most `limit` requests in the node at once, at most `queue` waiting;
 * beyond that the request is refused at once (503 + Retry-After) instead of joining an unbounded
 * queue that would only make every request late.
 */
export interface GateLimits {
  limit: number;
  queue: number;
}

export class AppGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  refused = 0;

  constructor(private readonly limits: GateLimits) {}

  /** Resolves when the request may proceed; false when it must be refused. */
  enter(): Promise<boolean> | boolean {
    if (this.active < this.limits.limit) {
      this.active++;
      return true;
    }
    if (this.waiting.length >= this.limits.queue) {
      this.refused++;
      return false;
    }
    return new Promise<boolean>((resolve) => this.waiting.push(() => resolve(true)));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}

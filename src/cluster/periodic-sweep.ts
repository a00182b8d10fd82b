/**
 * A pass that runs every `intervalMs` and never overlaps itself: the shape of the checkpoint
 * loops (key-checkpoints.ts, replica-checkpoints.ts), whose passes wait on peers and can outlast
 * their interval. Subclasses write `pass`.
 */
export abstract class PeriodicSweep {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly intervalMs: number) {}

  protected abstract pass(): Promise<void>;

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass now, unless one is already running. */
  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.pass();
    } finally {
      this.running = false;
    }
  }
}

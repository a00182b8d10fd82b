/**
 * A pass that runs every `intervalMs` and never overlaps itself: the shape of the checkpoint
 * loops (key-checkpoints.ts, replica-checkpoints.ts), whose passes wait on peers and can outlast
 * their interval.
 */
export class SweepTimer {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass now, unless one is already running. */
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.pass();
    } finally {
      this.running = false;
    }
  }
}

/**
 * Runs one pass at a time. Asked again while a pass runs, it runs exactly one more pass after it
 * (what the running pass read may already be stale); further asks fold into that one. Used by
 * `flick dev` (rebuild on save) and the cluster's key moves (rebalance on membership change). For
 * steps that must each run, in order per key, see KeyedSerial.
 */
export class RerunQueue {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly pass: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async idle(): Promise<void> {
    await this.running;
  }
}

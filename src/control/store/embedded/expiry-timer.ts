/**
 * One in-process timer for all lease deadlines of the embedded store, armed for the earliest
 * one. Lease counts are small (a node holds a handful), so finding the minimum is a scan.
 */
export class ExpiryTimer {
  private readonly deadlines = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onDue: (ids: string[]) => void) {}

  set(id: string, expiresAt: number): void {
    this.deadlines.set(id, expiresAt);
    this.arm();
  }

  remove(id: string): void {
    this.deadlines.delete(id);
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.deadlines.clear();
  }

  private arm(): void {
    clearTimeout(this.timer);
    let earliest = Infinity;
    for (const at of this.deadlines.values()) earliest = Math.min(earliest, at);
    if (earliest === Infinity) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, earliest - Date.now()));
    // Expiry matters only while something else keeps the process alive.
    this.timer.unref();
  }

  private fire(): void {
    const now = Date.now();
    const due = [...this.deadlines].filter(([, at]) => at <= now).map(([id]) => id);
    for (const id of due) this.deadlines.delete(id);
    this.arm();
    if (due.length > 0) this.onDue(due);
  }
}

/** A clock the test moves by hand, so intensity windows and shutdown timeouts are exact. */
import type { Clock, Timer } from '../../src/supervisor/clock.js';

interface PendingTimer {
  at: number;
  seq: number;
  fire: () => void;
  cancelled: boolean;
}

/** Lets every queued promise continuation run (the supervisor's mailbox loop is promise-driven). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: PendingTimer[] = [];

  now(): number {
    return this.time;
  }

  startTimer(ms: number, onFire: () => void): Timer {
    const timer: PendingTimer = { at: this.time + ms, seq: this.seq++, fire: onFire, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /**
   * Moves time forward, firing due timers in time order and settling after each. Settles first, so
   * work already queued (say, a stop that starts a shutdown timer) happens before time moves.
   */
  async advance(ms: number): Promise<void> {
    await settle();
    const target = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      const due = this.timers
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.time = due.at;
      due.fire();
      await settle();
    }
    this.time = target;
    await settle();
  }

  /** Jumps to an absolute time (ms). */
  async advanceTo(at: number): Promise<void> {
    await this.advance(at - this.time);
  }
}

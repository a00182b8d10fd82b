/**
 * The CPU budget of one call. A call may enter its isolate several times (the handler, then each
 * outbound response it awaited), so the budget is the isolate's CPU time since the call began
 * (`isolate.cpuTime`, measured by V8 on whichever thread ran it), and each entry is capped by
 * isolated-vm's timeout at what is left. That timeout counts wall-clock time, which is at least the
 * CPU time on an unloaded core: a runaway loop is stopped within its budget, though on a
 * saturated host a run can be stopped after a little less CPU than the budget.
 */

/** Reads an isolate's total CPU time, nanoseconds (the last reading once it is disposed). */
export type CpuClock = () => bigint;

export class CpuBudget {
  private readonly clock: CpuClock;
  private readonly budgetNs: bigint;
  private readonly startNs: bigint;

  constructor(clock: CpuClock, budgetMs: number) {
    this.clock = clock;
    this.budgetNs = BigInt(budgetMs) * 1_000_000n;
    this.startNs = clock();
  }

  /** CPU time used since the call began, microseconds. */
  usedMicros(): number {
    return Number((this.clock() - this.startNs) / 1000n);
  }

  exceeded(): boolean {
    return this.clock() - this.startNs > this.budgetNs;
  }

  /** The timeout for the next entry into the isolate, whole milliseconds (isolated-vm's unit), at least 1. */
  timeoutMs(): number {
    const left = this.budgetNs - (this.clock() - this.startNs);
    return Math.max(1, Math.ceil(Number(left) / 1e6));
  }
}

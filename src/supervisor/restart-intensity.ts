/**
 * OTP's restart intensity: a supervisor keeps the times of its recent restarts; a restart that
 * brings the number within the last `period` seconds above `intensity` means the supervisor gives
 * up (terminates its children and exits with `shutdown`, escalating to its parent).
 *
 * Mirrors `supervisor:add_restart/3`: restarts at or after `now - period` are kept, then `now` is
 * added, and the limit is exceeded when the count is greater than `intensity`. OTP measures in
 * whole seconds; this measures in milliseconds of the injected clock, so a restart exactly
 * `period` seconds ago still counts.
 */
export class RestartIntensity {
  private restarts: number[] = [];
  constructor(
    private readonly intensity: number,
    private readonly periodMs: number,
  ) {}

  /** Records a restart at `now` (ms); returns false when the intensity is exceeded. */
  record(now: number): boolean {
    const threshold = now - this.periodMs;
    this.restarts = this.restarts.filter((at) => at >= threshold);
    this.restarts.push(now);
    return this.restarts.length <= this.intensity;
  }
}

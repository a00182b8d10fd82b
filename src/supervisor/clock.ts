/**
 * Time as the supervisor sees it. Restart intensity and shutdown timeouts read the clock through
 * this interface so that tests (and a node under a simulated clock) can drive time exactly.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds; only differences are meaningful. */
  now(): number;
  /** Calls `onFire` once after `ms` milliseconds unless cancelled first. */
  startTimer(ms: number, onFire: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  startTimer(ms, onFire) {
    const handle = setTimeout(onFire, ms);
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * Stopping children the way OTP's `supervisor:shutdown/1` and `terminate_dynamic_children/1` do:
 * send `shutdown` (or `kill` for brutal_kill), wait for the end, and send `kill` to whoever is still
 * running when the timeout expires. Several children are signalled together and share one timer,
 * which is how a simple_one_for_one supervisor stops its dynamic children.
 */
import type { RestartType, ShutdownPolicy } from './child.js';
import type { Clock } from './clock.js';
import { isCleanExit, type ExitReason } from './exit-reason.js';
import type { RunningChild } from './running-child.js';

/** Stops `children` concurrently; resolves with their exit reasons, in the same order. */
export async function shutdownChildren(
  children: readonly RunningChild[],
  policy: ShutdownPolicy,
  clock: Clock,
  from: string,
): Promise<ExitReason[]> {
  const signal = policy === 'brutal_kill' ? 'kill' : 'shutdown';
  for (const child of children) if (child.alive) child.handle.exit(signal, from);
  const ended = Promise.all(children.map((child) => child.exited));
  if (typeof policy !== 'number') return ended;
  const timer = clock.startTimer(policy, () => {
    for (const child of children) if (child.alive) child.handle.exit('kill', from);
  });
  try {
    return await ended;
  } finally {
    timer.cancel();
  }
}

export async function shutdownChild(
  child: RunningChild,
  policy: ShutdownPolicy,
  clock: Clock,
  from: string,
): Promise<ExitReason> {
  const [reason] = await shutdownChildren([child], policy, clock, from);
  return reason;
}

/**
 * Whether a child's end after a shutdown request is the expected one. Anything else is reported as
 * a `shutdown_error` (OTP: `killed` for brutal_kill, `shutdown` otherwise; non-permanent children
 * may also end cleanly on their own).
 */
export function isExpectedShutdownExit(reason: ExitReason, policy: ShutdownPolicy, restart: RestartType): boolean {
  if (reason === (policy === 'brutal_kill' ? 'killed' : 'shutdown')) return true;
  return restart !== 'permanent' && isCleanExit(reason);
}

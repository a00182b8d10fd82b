/**
 * What a supervisor needs from the things it supervises. It knows nothing of wasm, isolates or
 * threads: a child is started by a function that returns a handle, can be sent an exit signal,
 * and reports exactly once how it ended.
 */
import type { ExitReason } from './exit-reason.js';

export type ChildId = string;

export interface ChildHandle {
  /** Unique for the lifetime of the node, like a pid: a restarted child gets a new id. */
  readonly id: string;
  /**
   * Delivers an exit signal from `from` (Erlang's `exit(Pid, Reason)`).
   * - `'kill'` cannot be refused: the child must end, reporting `'killed'`.
   * - any other reason: a child that does not trap exits ends with that reason (and ignores
   *   `'normal'`); one that traps exits decides for itself when to end.
   * Signals to a child that has already ended are ignored.
   */
  exit(reason: ExitReason, from: string): void;
  /**
   * Registers a listener for the child's end. Each listener is called exactly once with the exit
   * reason; a listener registered after the end is called at once.
   */
  onExit(listener: (reason: ExitReason) => void): void;
}

/**
 * What a start function may return: a running child, or `'ignore'` (OTP's `ignore`: nothing was
 * started and that is not an error). Throwing or rejecting is a start failure.
 */
export type StartResult = ChildHandle | 'ignore';

/** permanent: always restarted; transient: only after an unclean exit; temporary: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * How a child is stopped: `'brutal_kill'` sends `'kill'` at once; a number sends `'shutdown'` and
 * sends `'kill'` if the child has not ended after that many milliseconds; `'infinity'` sends
 * `'shutdown'` and waits as long as it takes (the default for supervisors, whose subtrees need the
 * time to stop in order).
 */
export type ShutdownPolicy = 'brutal_kill' | number | 'infinity';

export type ChildType = 'worker' | 'supervisor';

export interface ChildSpec<Args extends unknown[] = []> {
  id: ChildId;
  /** For simple_one_for_one supervisors the arguments given to `startChild(args)` are passed here. */
  start: (...args: Args) => StartResult | Promise<StartResult>;
  /** Default `'permanent'`. */
  restart?: RestartType;
  /** Default 5000 ms for workers, `'infinity'` for supervisors (as in OTP). */
  shutdown?: ShutdownPolicy;
  /** Default `'worker'`. */
  type?: ChildType;
}

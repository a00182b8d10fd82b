/**
 * Errors returned by supervisor calls. `code` mirrors the term OTP's `supervisor` module returns in
 * `{error, Code}` so that the OTP documentation reads across directly.
 */
import type { ChildHandle, ChildId } from './child.js';

export type SupervisorErrorCode =
  /** startChild: a child with this id is running (`{error, {already_started, Pid}}`). */
  | 'already_started'
  /** startChild: a spec with this id exists but is not running (`{error, already_present}`). */
  | 'already_present'
  /** startChild/restartChild: the start function threw or rejected (`{error, Reason}`). */
  | 'start_failed'
  /** Supervisor start: a child failed to start (`{shutdown, {failed_to_start_child, Id, Reason}}`). */
  | 'failed_to_start_child'
  | 'not_found'
  | 'running'
  | 'restarting'
  /** The call does not apply to a simple_one_for_one supervisor, or needs one. */
  | 'simple_one_for_one'
  /** The supervisor spec is malformed (bad intensity/period/shutdown, duplicate ids …). */
  | 'invalid_spec'
  /** The supervisor has ended; like calling a dead process. */
  | 'noproc';

export class SupervisorError extends Error {
  readonly code: SupervisorErrorCode;
  /** The child the error is about, when there is one. */
  readonly childId: ChildId | undefined;
  /** For `already_started`: the running child. */
  readonly child: ChildHandle | undefined;
  constructor(
    code: SupervisorErrorCode,
    message: string,
    details: { childId?: ChildId; child?: ChildHandle; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SupervisorError';
    this.code = code;
    this.childId = details.childId;
    this.child = details.child;
  }
}

export type ProcessErrorCode = 'noproc' | 'badarg';

/** Errors from the process table's BIF-like calls (Erlang raises `error:noproc` / `badarg`). */
export class ProcessError extends Error {
  readonly code: ProcessErrorCode;
  constructor(code: ProcessErrorCode, message: string) {
    super(message);
    this.name = 'ProcessError';
    this.code = code;
  }
}

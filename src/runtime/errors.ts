/**
 * Typed errors raised by sandboxes. Each carries a machine-readable `code`, the limit that was hit
 * (when there is one) and a `hint` a person can act on. Ingress maps them to HTTP statuses
 * (`httpStatus`), telemetry counts them by `code`.
 */
export type SandboxErrorCode =
  | 'cpu_budget_exceeded'
  | 'memory_limit_exceeded'
  | 'stack_overflow'
  | 'deadline_exceeded'
  | 'trap'
  | 'exit'
  | 'bad_response'
  | 'response_too_large'
  | 'capability_denied'
  | 'instance_dead'
  | 'snapshot_invalid'
  | 'upgrade_refused';

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly hint: string;
  /** The HTTP status a front door should answer with when this ends a request. */
  readonly httpStatus: number;
  constructor(code: SandboxErrorCode, message: string, hint: string, httpStatus = 503, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxError';
    this.code = code;
    this.hint = hint;
    this.httpStatus = httpStatus;
  }
  /** Limit errors end the instance: its memory may be mid-update, so it is never called again. */
  get fatal(): boolean {
    // A response refused as it is built leaves the instance's memory as the guest left it.
    return this.code !== 'capability_denied' && this.code !== 'bad_response' && this.code !== 'response_too_large';
  }
}

/** The call ran past its wall-clock deadline (manifest `resources.deadlineMs`). */
export function deadlineExceeded(): SandboxError {
  return new SandboxError('deadline_exceeded', 'the call ran past its wall-clock deadline', 'answer sooner (do not sleep or wait that long), or raise resources.deadlineMs in flick.json', 504);
}

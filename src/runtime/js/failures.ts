/**
 * Turns what can go wrong in an isolate into SandboxErrors with hints, and host-side failures into
 * errors safe to throw into the guest.
 */
import type { Resources } from '../../image/manifest.js';
import { SandboxError } from '../errors.js';

/** What the guest prelude reports when a handler does not produce a response. */
export type GuestFailureKind = 'threw' | 'not_response';

const STACK_OVERFLOW = /Maximum call stack size exceeded/;
const BUFFER_REFUSED = /Array buffer allocation failed/;

export function cpuExceeded(limits: Resources, cause?: unknown): SandboxError {
  return new SandboxError('cpu_budget_exceeded', `instance used up its CPU budget of ${limits.cpuMsPerCall} ms for one call`, 'do less work per request, or raise resources.cpuMsPerCall in flick.json', 503, { cause });
}

export function deadlineExceeded(limits: Resources): SandboxError {
  return new SandboxError('deadline_exceeded', `the request did not finish within its deadline of ${limits.deadlineMs} ms`, 'make sure every promise the handler awaits settles (outbound fetches, KV), or raise resources.deadlineMs in flick.json', 504);
}

/** An error thrown out of isolated-vm while it ran guest code. */
export function classifyIsolateError(e: unknown, limits: Resources): SandboxError {
  if (e instanceof SandboxError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/memory limit/i.test(message)) return memoryExceeded(limits, e);
  if (/execution timed out/i.test(message)) return cpuExceeded(limits, e);
  if (STACK_OVERFLOW.test(message)) return stackOverflow(e);
  return new SandboxError('trap', `instance failed: ${message}`, 'this is a bug in the app: see its logs (flick logs APP)', 500, { cause: e });
}

function memoryExceeded(limits: Resources, cause: unknown): SandboxError {
  return new SandboxError('memory_limit_exceeded', `instance reached its memory limit of ${limits.memoryMiB} MiB`, 'use less memory per instance, or raise resources.memoryMiB in flick.json', 503, { cause });
}

/** The handler threw (or its promise rejected), or answered something that is not a Response. */
export function guestFailure(kind: GuestFailureKind, message: string, limits: Resources): SandboxError {
  const text = message.slice(0, 4096);
  if (kind === 'not_response') return new SandboxError('bad_response', text, 'return a Response (or a promise of one) from fetch', 502);
  if (STACK_OVERFLOW.test(text)) return stackOverflow(text);
  // V8 refuses a buffer that would cross the isolate's limit with a catchable RangeError; uncaught, it is the limit.
  if (BUFFER_REFUSED.test(text)) return memoryExceeded(limits, text);
  return new SandboxError('trap', `the fetch handler threw: ${text}`, 'this is a bug in the app: see its logs (flick logs APP)', 500);
}

function stackOverflow(cause: unknown): SandboxError {
  return new SandboxError('stack_overflow', 'instance overflowed its call stack (deep or unbounded recursion)', 'bound the recursion depth or make it iterative', 503, { cause });
}

export function notReady(dead: boolean): SandboxError {
  return dead
    ? new SandboxError('instance_dead', 'instance is no longer running', 'spawn a new instance (supervisors do this on their own)', 503)
    : new SandboxError('instance_dead', 'instance is busy with another call', 'calls into one instance are serialised by its scheduler', 503);
}

/**
 * An Error to throw from a host callback into the guest. isolated-vm copies a thrown error's stack
 * into the guest, and a host stack names host files and functions; this one's stack is its message.
 */
export function guestVisibleError(message: string): Error {
  const error = new Error(message);
  error.stack = `Error: ${message}`;
  return error;
}

/**
 * Host calls are work the fuel counter does not see: a guest can loop on a cheap host call (log,
 * request_header, clock_time_get) and spend seconds of host CPU on little fuel. Every import is
 * therefore wrapped: each call spends one unit of the call's host-call budget (derived from
 * `cpuMsPerCall`), and every 64th also checks the wall-clock deadline. A flood ends the call with
 * `cpu_budget_exceeded` in its own time, instead of holding the scheduler until the watchdog.
 */
import { deadlineExceeded, SandboxError } from '../errors.js';
import type { ContextRef, InstanceContext } from './host-context.js';

/** Host calls one call may make per millisecond of its CPU budget (a host call costs ~0.1–1 µs). */
export const HOST_CALLS_PER_CPU_MS = 2000;
const DEADLINE_CHECK_MASK = 63;

type HostFn = (...args: never[]) => unknown;

function spend(ctx: InstanceContext | null): void {
  if (ctx === null) return; // a call outside a guest call: the import reports that itself
  const left = --ctx.hostCallsLeft;
  if (left < 0) {
    throw new SandboxError('cpu_budget_exceeded', 'instance made too many host calls in one call (host-call flood)', 'make fewer host calls per request (batch reads and writes), or raise resources.cpuMsPerCall in flick.json', 503);
  }
  if ((left & DEADLINE_CHECK_MASK) === 0 && performance.now() > ctx.deadlineAt) throw deadlineExceeded();
}

/** The same imports, each spending from the current instance's host-call budget first. */
export function guardHostCalls(fns: Record<string, HostFn>, ref: ContextRef): Record<string, HostFn> {
  const out: Record<string, HostFn> = {};
  for (const [name, fn] of Object.entries(fns)) {
    const f = fn as (...args: unknown[]) => unknown;
    // Fixed arities keep the hot imports free of rest-array allocation.
    switch (f.length) {
      case 0: out[name] = () => (spend(ref.current), f()); break;
      case 1: out[name] = (a: never) => (spend(ref.current), f(a)); break;
      case 2: out[name] = (a: never, b: never) => (spend(ref.current), f(a, b)); break;
      case 3: out[name] = (a: never, b: never, c: never) => (spend(ref.current), f(a, b, c)); break;
      case 4: out[name] = (a: never, b: never, c: never, d: never) => (spend(ref.current), f(a, b, c, d)); break;
      default: out[name] = (...args: never[]) => (spend(ref.current), f(...args));
    }
  }
  return out;
}

/**
 * Child and supervisor specs with OTP's defaults filled in and checked, so the supervisor itself
 * never deals with missing or malformed fields.
 */
import type { ChildSpec, ChildType, RestartType, ShutdownPolicy, StartResult } from './child.js';
import { SupervisorError } from './errors.js';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';

interface RestartLimits {
  /** Most restarts allowed within `period`; default 1 (OTP's default). */
  intensity?: number;
  /** Seconds; default 5 (OTP's default). */
  period?: number;
}

/**
 * A supervisor's flags and children. A simple_one_for_one supervisor has exactly one spec, the
 * template for its dynamic children, and starts none at init (as in OTP).
 */
export type SupervisorSpec<Args extends unknown[] = []> =
  | (RestartLimits & { strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one'; children: ChildSpec[] })
  | (RestartLimits & { strategy: 'simple_one_for_one'; children: [ChildSpec<Args>] });

export interface ResolvedChildSpec<Args extends unknown[] = []> {
  readonly id: string;
  readonly start: (...args: Args) => StartResult | Promise<StartResult>;
  readonly restart: RestartType;
  readonly shutdown: ShutdownPolicy;
  readonly type: ChildType;
}

export interface ResolvedLimits {
  readonly intensity: number;
  readonly periodMs: number;
}

const DEFAULT_INTENSITY = 1;
const DEFAULT_PERIOD_SECONDS = 5;
const DEFAULT_WORKER_SHUTDOWN_MS = 5000;
const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
const CHILD_TYPES: readonly ChildType[] = ['worker', 'supervisor'];

export function resolveChildSpec<Args extends unknown[]>(spec: ChildSpec<Args>): ResolvedChildSpec<Args> {
  const invalid = (what: string) =>
    new SupervisorError('invalid_spec', `child spec ${JSON.stringify(spec.id)}: ${what}`, { childId: spec.id });
  if (typeof spec.id !== 'string' || spec.id === '') throw invalid('id must be a non-empty string');
  if (typeof spec.start !== 'function') throw invalid('start must be a function');
  const restart = spec.restart ?? 'permanent';
  if (!RESTART_TYPES.includes(restart)) throw invalid(`unknown restart type ${String(restart)}`);
  const type = spec.type ?? 'worker';
  if (!CHILD_TYPES.includes(type)) throw invalid(`unknown child type ${String(type)}`);
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : DEFAULT_WORKER_SHUTDOWN_MS);
  const validShutdown =
    shutdown === 'brutal_kill' || shutdown === 'infinity' || (Number.isInteger(shutdown) && shutdown >= 0);
  if (!validShutdown) throw invalid(`shutdown must be 'brutal_kill', 'infinity' or an integer >= 0 ms`);
  return { id: spec.id, start: spec.start, restart, shutdown, type };
}

export function resolveLimits(limits: RestartLimits): ResolvedLimits {
  const intensity = limits.intensity ?? DEFAULT_INTENSITY;
  const period = limits.period ?? DEFAULT_PERIOD_SECONDS;
  if (!Number.isInteger(intensity) || intensity < 0) {
    throw new SupervisorError('invalid_spec', `intensity must be an integer >= 0, got ${intensity}`);
  }
  if (!Number.isFinite(period) || period <= 0) {
    throw new SupervisorError('invalid_spec', `period must be a number of seconds > 0, got ${period}`);
  }
  return { intensity, periodMs: period * 1000 };
}

/** Resolves a static supervisor's children, refusing duplicate ids (OTP: duplicate_child_name). */
export function resolveStaticChildren(specs: readonly ChildSpec[]): ResolvedChildSpec[] {
  const seen = new Set<string>();
  return specs.map((spec) => {
    const resolved = resolveChildSpec(spec);
    if (seen.has(resolved.id)) {
      throw new SupervisorError('invalid_spec', `duplicate child id ${JSON.stringify(resolved.id)}`, {
        childId: resolved.id,
      });
    }
    seen.add(resolved.id);
    return resolved;
  });
}

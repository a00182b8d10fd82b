/**
 * The hostile-app suite's attacks (issue 9 point 2; DESIGN.md "Reliability targets"), as data.
 * App attacks are fixture apps (bench/fixtures/*.wat) deployed beside hello with the budgets an
 * operator would give them and hammered by clients that ignore Retry-After; client attacks aim at
 * hello's own front door (bench/_client-attacks.ts). `CONTAINED` is the clear error each must get.
 */
import type { FixtureManifest } from './_fixtures.js';
import { DEFAULT_INGRESS } from '../src/ingress/server.js';

export const APP_ATTACKS = ['spin', 'memory-bomb', 'recursion', 'host-flood', 'huge-response', 'fork-bomb'] as const;
export const CLIENT_ATTACKS = ['huge-body', 'huge-headers', 'slowloris', 'slow-body'] as const;
export type AppAttack = (typeof APP_ATTACKS)[number];
export type ClientAttack = (typeof CLIENT_ATTACKS)[number];
export type Attack = AppAttack | ClientAttack;
export const ATTACKS: readonly Attack[] = [...APP_ATTACKS, ...CLIENT_ATTACKS];

export function isAppAttack(a: Attack): a is AppAttack {
  return (APP_ATTACKS as readonly string[]).includes(a);
}

// The examples' own budgets (10 ms of CPU, 1 s deadline, 1 MiB); the bomb may have 16 MiB so that
// it has somewhere to go before the limit stops it.
const BUDGET = { memoryMiB: 1, cpuMsPerCall: 10, deadlineMs: 1000 };
/** The fork bomb's key limit: small, so the bomb reaches it within its first request or two. */
export const FORK_BOMB_MAX = 64;

export const APP_MANIFESTS: Record<AppAttack, FixtureManifest> = {
  spin: { name: 'spin', resources: BUDGET },
  'memory-bomb': { name: 'memory-bomb', resources: { ...BUDGET, memoryMiB: 16 } },
  recursion: { name: 'recursion', resources: BUDGET },
  'host-flood': { name: 'host-flood', resources: BUDGET },
  'huge-response': { name: 'huge-response', resources: BUDGET },
  'fork-bomb': {
    name: 'fork-bomb',
    resources: BUDGET,
    instances: { mode: 'per-key', key: { from: 'header', name: 'flick-key' }, max: FORK_BOMB_MAX },
    capabilities: { messaging: true },
  },
};

/** Requests to these apps carry a new key each in this header: every fork-bomb request plants a new root. */
export const KEY_HEADER: Partial<Record<AppAttack, string>> = { 'fork-bomb': 'flick-key' };

/** The answers that count as contained: statuses, and `x-flick-error` codes (`http_NNN` without one). */
export interface Containment {
  statuses: number[];
  codes: string[];
}

// The limit itself, or — once the app has hit it again and again — the breaker refusing it at once.
const limit = (code: string): Containment => ({ statuses: [503], codes: [code, 'limits_tripped'] });

export const CONTAINED: Record<Attack, Containment> = {
  spin: limit('cpu_budget_exceeded'),
  'memory-bomb': limit('memory_limit_exceeded'),
  recursion: limit('stack_overflow'),
  'host-flood': limit('cpu_budget_exceeded'),
  'huge-response': { statuses: [502, 503], codes: ['response_too_large', 'limits_tripped'] },
  // Roots are served until the app has FORK_BOMB_MAX instances; then new keys are refused.
  'fork-bomb': { statuses: [200, 503], codes: ['none', 'instance_limit'] },
  // A client still streaming when the 413 goes out may get a reset instead: the node closes at once
  // (no lingering close), and the kernel drops what the client had not read yet.
  'huge-body': { statuses: [413, 0], codes: ['body_too_large', 'closed'] },
  'huge-headers': { statuses: [431], codes: ['http_431'] },
  slowloris: { statuses: [408], codes: ['http_408'] },
  'slow-body': { statuses: [408], codes: ['http_408'] },
};

/** How long the node may hold a slow client (src/ingress/server.ts): a bench runs the attack past it so the cut shows. */
export const HOLD_BOUND_MS: Partial<Record<ClientAttack, number>> = {
  slowloris: DEFAULT_INGRESS.headersTimeoutMs,
  'slow-body': DEFAULT_INGRESS.requestTimeoutMs,
};

/**
 * The hostile-app suite (issue 9 point 2), shared by `bench/hostile.ts` and
 * `test/node/hostile.test.ts`: on one node, each attack of bench/_attacks.ts in turn, with hello
 * measured alone just before it and again during it (side by side, so a shared machine's drift
 * between attacks does not count against one), what the attacker was answered, and the node's
 * health after it.
 */
import { progress } from './_harness.js';
import { HostileSession, type HostileAnswers, type LatencyFigures, type Load, type NodeHealth } from './_neighbours.js';
import { ATTACKS, HOLD_BOUND_MS, isAppAttack, type Attack } from './_attacks.js';

export interface SuiteOptions extends Load {
  /** How long hello is measured alone, and under each attack. */
  seconds: number;
  /** Which attacks (default: all). */
  attacks?: readonly Attack[];
  /**
   * Run slow-client attacks until the node's bound on them has passed (10 s for slow heads, 30 s
   * for slow bodies), so that the cut shows in the answers; otherwise they run `seconds` too.
   */
  pastHoldBounds: boolean;
}

export interface AttackResult extends NodeHealth {
  attack: Attack;
  solo: LatencyFigures;
  during: LatencyFigures;
  answers: HostileAnswers;
  /** App attacks: the attacking app's instances on the node afterwards (the fork bomb's size). */
  instances?: number;
}

/** Time past a slow-client bound: the node checks for slow clients once a second (src/ingress/server.ts). */
const PAST_BOUND_MS = 3000;

export function runHostileSuite(opts: SuiteOptions): Promise<AttackResult[]> {
  const attacks = opts.attacks ?? ATTACKS;
  return HostileSession.run(attacks, opts, async (s) => {
    const results: AttackResult[] = [];
    for (const attack of attacks) {
      const bound = HOLD_BOUND_MS[attack as keyof typeof HOLD_BOUND_MS];
      const ms = opts.pastHoldBounds && bound !== undefined ? bound + PAST_BOUND_MS : opts.seconds * 1000;
      progress(`${attack}: hello alone for ${opts.seconds} s, then under attack for ${ms / 1000} s`);
      const solo = await s.measure(opts.seconds * 1000);
      const { during, answers } = await s.beside([attack], ms);
      const instances = isAppAttack(attack) ? (await s.node.instances()).filter((i) => i.app === attack).length : undefined;
      results.push({ attack, solo, during, answers: answers[attack], ...(instances !== undefined ? { instances } : {}), ...(await s.health()) });
    }
    return results;
  });
}

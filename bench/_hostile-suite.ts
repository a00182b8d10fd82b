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
  /**
   * Alone-then-under-attack pairs per attack (default 1); the result is the pair with the median
   * p99 ratio, so that one unlucky second of a shared machine does not decide it. Slow-client
   * attacks run past the node's bounds take one pair (it already lasts 13–33 s).
   */
  rounds?: number;
}

export interface AttackResult extends NodeHealth {
  attack: Attack;
  solo: LatencyFigures;
  during: LatencyFigures;
  answers: HostileAnswers;
  /** App attacks: the attacking app's instances on the node afterwards (the fork bomb's size). */
  instances?: number;
  /** hello's p99 under attack over alone, in each pair (`solo` and `during` are the median pair's). */
  ratios: number[];
}

/** Time past a slow-client bound: the node checks for slow clients once a second (src/ingress/server.ts). */
const PAST_BOUND_MS = 3000;

export function runHostileSuite(opts: SuiteOptions): Promise<AttackResult[]> {
  const attacks = opts.attacks ?? ATTACKS;
  return HostileSession.run(attacks, opts, async (s) => {
    const results: AttackResult[] = [];
    for (const attack of attacks) {
      const bound = HOLD_BOUND_MS[attack as keyof typeof HOLD_BOUND_MS];
      const pastBound = opts.pastHoldBounds && bound !== undefined;
      const ms = pastBound ? bound + PAST_BOUND_MS : opts.seconds * 1000;
      const rounds = pastBound ? 1 : (opts.rounds ?? 1);
      const pairs: Array<{ solo: LatencyFigures; during: LatencyFigures; answers: HostileAnswers; ratio: number }> = [];
      for (let round = 0; round < rounds; round++) {
        progress(`${attack}${rounds > 1 ? ` (${round + 1}/${rounds})` : ''}: hello alone for ${opts.seconds} s, then under attack for ${ms / 1000} s`);
        const solo = await s.measure(opts.seconds * 1000);
        const { during, answers } = await s.beside([attack], ms);
        pairs.push({ solo, during, answers: answers[attack], ratio: during.p99_ms / solo.p99_ms });
      }
      const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor((pairs.length - 1) / 2)];
      const instances = isAppAttack(attack) ? (await s.node.instances()).filter((i) => i.app === attack).length : undefined;
      results.push({ attack, solo: median.solo, during: median.during, answers: median.answers, ratios: pairs.map((p) => p.ratio), ...(instances !== undefined ? { instances } : {}), ...(await s.health()) });
    }
    return results;
  });
}

/**
 * hostile: the hostile-app suite (issue 9 point 2). One real node serves examples/hello while, one
 * at a time, an app loops forever, bombs memory, recurses without end, floods host calls, answers
 * past the response limit, or fork-bombs through messaging, and clients send huge bodies, huge
 * heads, and slow heads and bodies (slowloris). For each: what the attacker got, whether the node
 * stayed up, and hello's p50 / p99 alone and during the attack side by side; target p99 ratio ≤ 2.
 */
import { loadavg } from 'node:os';
import { emit, progress, quick, round } from './_harness.js';
import { runHostileSuite, type AttackResult } from './_hostile-suite.js';
import { machineNote } from './_machine.js';

const SECONDS = quick ? 2 : 5;
/** Alone / under-attack pairs per attack: the median pair is reported. */
const ROUNDS = quick ? 1 : 3;
const HELLO_LOOPS = 4;
const HOSTILE_LOOPS = 2;
const SLOW_CONNECTIONS = 300;
const TARGET_RATIO = 2;

const loadBefore = loadavg()[0];
const results = await runHostileSuite({ seconds: SECONDS, helloLoops: HELLO_LOOPS, hostileLoops: HOSTILE_LOOPS, slowConnections: SLOW_CONNECTIONS, pastHoldBounds: !quick, rounds: ROUNDS });

const ratio = (r: AttackResult) => round(r.during.p99_ms / r.solo.p99_ms);

function row(r: AttackResult): Record<string, unknown> {
  const { requests, statuses, codes, example: _e, ...connections } = r.answers;
  return {
    attack: r.attack,
    attacker_got: { requests, statuses, codes, ...connections },
    ...(r.instances !== undefined ? { instances_after: r.instances } : {}),
    node_up: r.nodeUp,
    hello_p50_ms: { alone: round(r.solo.p50_ms), during: round(r.during.p50_ms) },
    hello_p99_ms: { alone: round(r.solo.p99_ms), during: round(r.during.p99_ms) },
    p99_ratio: ratio(r),
    p99_ratio_each_pair: r.ratios.map((x) => round(x)),
    hello_errors: r.solo.errors + r.during.errors,
  };
}

progress('attack           attacker got                              node  hello p50 alone/during   p99 alone/during   ratio');
for (const r of results) {
  const got = Object.entries(r.answers.codes).map(([c, n]) => `${c}×${n}`).join(' ');
  progress(`${r.attack.padEnd(16)} ${got.slice(0, 40).padEnd(41)} ${r.nodeUp ? 'up  ' : 'DOWN'}  ${r.solo.p50_ms.toFixed(2)} / ${r.during.p50_ms.toFixed(2)} ms`.padEnd(96) + `${r.solo.p99_ms.toFixed(2)} / ${r.during.p99_ms.toFixed(2)} ms`.padEnd(19) + ` ${ratio(r)}`);
}

const overTarget = results.filter((r) => ratio(r) > TARGET_RATIO).map((r) => r.attack);
const helloErrors = results.reduce((a, r) => a + r.solo.errors + r.during.errors, 0);
const nodeStayedUp = results.every((r) => r.nodeUp);
const schedulerReplacements = results[results.length - 1].schedulerReplacements;
emit({
  bench: 'hostile',
  worst_p99_ratio: Math.max(...results.map(ratio)),
  within_target: results.filter((r) => ratio(r) <= TARGET_RATIO).map((r) => r.attack),
  over_target: overTarget,
  hello_errors: helloErrors,
  node_stayed_up: nodeStayedUp,
  scheduler_replacements: schedulerReplacements,
  met: overTarget.length === 0 && helloErrors === 0 && nodeStayedUp && schedulerReplacements === 0,
  attacks: results.map(row),
  load_average_1m: { before: round(loadBefore), after: round(loadavg()[0]) },
  target: `hello p99 during each attack <= ${TARGET_RATIO} x alone; each attacker gets a clear error; node up`,
  conditions: `flick up --demo in a child process (one scheduler per core); hello under ${HELLO_LOOPS} closed client loops (undici keep-alive, this process), ${SECONDS} s alone then ${SECONDS} s under each attack, ${ROUNDS} such pairs per attack and the pair with the median p99 ratio reported${quick ? '' : ' (slow-client attacks: one pair, until past the node\'s bound on them)'}; app attacks ${HOSTILE_LOOPS} loops each (10 ms CPU, 1 s deadline, 1 MiB; bomb 16 MiB), fast client attacks ${HOSTILE_LOOPS} connections, slow ones ${SLOW_CONNECTIONS}, from a second process; ${machineNote()}`,
});

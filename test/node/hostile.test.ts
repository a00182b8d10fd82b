/**
 * The hostile-app suite (issue 9 point 2) on a real node (`flick up` from dist/: run npm run build
 * first): each attack of bench/_attacks.ts in turn beside hello — a forever loop, a memory bomb,
 * deep recursion, a host-call flood, a response past the limit, a fork bomb through messaging, huge
 * bodies, huge heads, slow heads and slow bodies. Each must be contained: the attacker gets its
 * clear error, the node stays up, hello never fails. Latency is the bench's (`flick bench
 * hostile`), not asserted here; slow clients' 408 at the node's bound is in
 * test/ingress/slow-clients.test.ts (with short bounds).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { runHostileSuite, type AttackResult } from '../../bench/_hostile-suite.js';
import { ATTACKS, CONTAINED, FORK_BOMB_MAX, HOLD_BOUND_MS, type Attack } from '../../bench/_attacks.js';

const built = new URL('../../dist/src/cli/main.js', import.meta.url);
if (!existsSync(built)) throw new Error(`${built.pathname} is missing: run npm run build before this test`);

describe('hostile-app suite', () => {
  const results = new Map<Attack, AttackResult>();

  before(async () => {
    for (const r of await runHostileSuite({ seconds: 1, helloLoops: 2, hostileLoops: 2, slowConnections: 50, pastHoldBounds: false })) results.set(r.attack, r);
  }, { timeout: 240_000 });

  for (const attack of ATTACKS) {
    it(`${attack}: the attacker gets its clear error, the node stays up, hello never fails`, () => {
      const r = results.get(attack)!;
      const { answers } = r;
      process.stderr.write(`${attack}: ${JSON.stringify(answers.codes)}; hello p99 ${r.solo.p99_ms.toFixed(2)} → ${r.during.p99_ms.toFixed(2)} ms\n`);
      assert.ok(r.nodeUp, 'the node is up and its API answers');
      assert.equal(r.schedulerReplacements, 0, 'limits stopped every attack: no scheduler had to be replaced');
      assert.equal(r.solo.errors + r.during.errors, 0, 'hello never failed');
      const allowed = CONTAINED[attack];
      assert.ok(Object.keys(answers.statuses).every((s) => allowed.statuses.includes(Number(s))), `statuses ${JSON.stringify(answers.statuses)}, allowed ${allowed.statuses}`);
      assert.ok(Object.keys(answers.codes).every((c) => allowed.codes.includes(c)), `codes ${JSON.stringify(answers.codes)}, allowed ${allowed.codes}`);
      if (answers.leftOpenByNode !== undefined) assert.equal(answers.leftOpenByNode, 0, 'the node closed every connection it refused');
      if (attack in HOLD_BOUND_MS) {
        // Slower than the node's bound on them (10 s, 30 s) for a run this short: held, not answered otherwise.
        assert.ok(answers.requests + (answers.openAtStop ?? 0) > 0, 'the slow clients were connected');
      } else {
        assert.ok(answers.requests > 0, 'the attack ran');
        const named = allowed.codes.filter((c) => c !== 'none' && c !== 'closed').map((c) => c.replace(/^http_/, ''));
        assert.ok(named.some((c) => answers.example.includes(c)), `the error names itself: ${answers.example}`);
      }
      if (attack === 'fork-bomb') assert.ok(r.instances! <= FORK_BOMB_MAX, `${r.instances} instances, at most instances.max = ${FORK_BOMB_MAX}`);
    });
  }
});

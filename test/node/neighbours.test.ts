/**
 * Hostile neighbours (issue 3 point 8) on a real node (`flick up` from dist/: run npm run build
 * first): one app loops forever, one bombs memory, one floods host calls, while hello is measured.
 * The node must stay up and answer the hostile apps with 503 and a reason, and hello must never
 * fail. Both p99s are printed; the 2x target on them is checked by `flick bench neighbours`.
 *
 * What makes it hold: host calls are metered (a flood ends in its own call), and an app that keeps
 * hitting its limits is refused at once for a cool-down (src/node/limit-breaker.ts), so hostile
 * apps stop taking the schedulers' time from hello.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runNeighbours, type HostileApp, type NeighboursResult } from '../../bench/_neighbours.js';

const built = new URL('../../dist/src/cli/main.js', import.meta.url);
if (!existsSync(built)) throw new Error(`${built.pathname} is missing: run npm run build before this test`);

const SECONDS = 2;

function report(name: string, r: NeighboursResult): void {
  process.stderr.write(`${name}: hello p99 solo ${r.solo.p99_ms.toFixed(2)} ms, with neighbours ${r.withNeighbours.p99_ms.toFixed(2)} ms; hostile answers ${JSON.stringify(Object.fromEntries(Object.entries(r.hostile).map(([k, v]) => [k, v.codes])))}\n`);
}

function assertRefusedWith(r: NeighboursResult, app: HostileApp, code: string): void {
  const answers = r.hostile[app];
  assert.ok(answers.requests > 0, `${app} was answered at all`);
  assert.deepEqual(Object.keys(answers.statuses), ['503'], `${app}: every answer is a 503 (${JSON.stringify(answers.statuses)})`);
  // The limit itself, or — once the app has hit it again and again — the breaker refusing it at once.
  const codes = Object.keys(answers.codes);
  assert.ok(codes.includes(code), `${app}: the reason is ${code} (${JSON.stringify(answers.codes)})`);
  assert.ok(codes.every((c) => c === code || c === 'limits_tripped'), `${app}: no other reason (${JSON.stringify(answers.codes)})`);
  assert.match(answers.example, new RegExp(`${code}|limits_tripped`));
}

describe('hostile neighbours', () => {
  it('a forever loop and a memory bomb get 503 with their reason; the node stays up', async () => {
    const r = await runNeighbours({ seconds: SECONDS, helloLoops: 4, hostileLoops: 2, hostile: ['spin', 'memory-bomb'] });
    report('spin + memory-bomb', r);
    assert.ok(r.nodeUp, 'the node is up and its API answers');
    assert.equal(r.schedulerReplacements, 0, 'metering stopped them: no scheduler had to be replaced');
    assertRefusedWith(r, 'spin', 'cpu_budget_exceeded');
    assertRefusedWith(r, 'memory-bomb', 'memory_limit_exceeded');
    assert.equal(r.solo.errors + r.withNeighbours.errors, 0, 'hello never failed');
  });

  // One run of the full scenario, read by the two checks below.
  let all: Promise<NeighboursResult> | null = null;
  const allNeighbours = () => (all ??= runNeighbours({ seconds: SECONDS, helloLoops: 4, hostileLoops: 2 }).then((r) => (report('all neighbours', r), r)));

  it('with all three neighbours: each is refused with its reason, hello never fails, the node stays up', async () => {
    const r = await allNeighbours();
    assert.ok(r.nodeUp, 'the node is up and its API answers');
    assertRefusedWith(r, 'spin', 'cpu_budget_exceeded');
    assertRefusedWith(r, 'memory-bomb', 'memory_limit_exceeded');
    assertRefusedWith(r, 'host-flood', 'cpu_budget_exceeded');
    assert.equal(r.solo.errors + r.withNeighbours.errors, 0, 'hello never failed');
  });

  // hello's p99 beside them (target: within 2x of solo) is a timing figure: `flick bench neighbours`
  // and `flick bench hostile` print it side by side; tests check containment only.
});

/**
 * The restart matrix: restart type × exit reason × strategy. For every combination one child
 * ends with the reason and the test checks, against the rules of OTP's supervisor documentation
 * written out below (independently of the implementation), exactly which children were stopped
 * and started again, in which order, which were left alone, and what whichChildren shows after.
 *
 * Static strategies run five children in this start order:
 *   t0 (temporary) · a (permanent) · x (the subject) · c (permanent) · t1 (temporary)
 * simple_one_for_one runs three dynamic children d1, d2 (the subject), d3 of the subject's type.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RestartType } from '../../src/supervisor/child.js';
import type { Strategy } from '../../src/supervisor/child-spec.js';
import { formatExitReason, type ExitReason } from '../../src/supervisor/exit-reason.js';
import { Supervisor, type SupervisorReport } from '../../src/supervisor/supervisor.js';
import { FakeWorld, summarize, type FakeChild } from './fake-child.js';
import { ManualClock, settle } from './manual-clock.js';

interface ExitCase {
  name: string;
  /** Makes the child end: by itself, or (kill) by an untrappable kill from outside. */
  trigger(child: FakeChild): void;
  /** The reason the supervisor sees. */
  observed: ExitReason;
  clean: boolean;
}

const EXITS: ExitCase[] = [
  { name: 'normal', trigger: (c) => c.end('normal'), observed: 'normal', clean: true },
  { name: 'shutdown', trigger: (c) => c.end('shutdown'), observed: 'shutdown', clean: true },
  { name: '{shutdown,x}', trigger: (c) => c.end({ shutdown: 'x' }), observed: { shutdown: 'x' }, clean: true },
  { name: 'crash', trigger: (c) => c.end({ error: 'boom' }), observed: { error: 'boom' }, clean: false },
  { name: 'kill', trigger: (c) => c.exit('kill', 'test'), observed: 'killed', clean: false },
];
const RESTART_TYPES: RestartType[] = ['permanent', 'transient', 'temporary'];
const STRATEGIES: Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'];

interface Sibling {
  id: string;
  restart: RestartType;
}

/** OTP: permanent always; transient unless normal/shutdown/{shutdown,_}; temporary never. */
function isRestarted(restart: RestartType, exit: ExitCase): boolean {
  return restart === 'permanent' || (restart === 'transient' && !exit.clean);
}

/** The children a restart touches, in start order (the subject included). */
function restartScope(strategy: Strategy, layout: Sibling[], subject: Sibling): Sibling[] {
  if (strategy === 'one_for_all') return layout;
  if (strategy === 'rest_for_one') return layout.slice(layout.indexOf(subject));
  return [subject];
}

interface Expectation {
  log: string[];
  /** whichChildren as `id:incarnation`, `id:-` for a kept spec that is not running; absent if removed. */
  children: string[];
  reported: boolean;
}

function expectStatic(strategy: Strategy, restart: RestartType, exit: ExitCase): Expectation {
  const subject: Sibling = { id: 'x', restart };
  const layout: Sibling[] = [
    { id: 't0', restart: 'temporary' },
    { id: 'a', restart: 'permanent' },
    subject,
    { id: 'c', restart: 'permanent' },
    { id: 't1', restart: 'temporary' },
  ];
  const restarted = isRestarted(restart, exit);
  const scope = restarted ? restartScope(strategy, layout, subject) : [];
  const log = [
    `exit x#1 ${formatExitReason(exit.observed)}`,
    // siblings stopped in reverse start order …
    ...scope.filter((s) => s !== subject).reverse().map((s) => `exit ${s.id}#1 shutdown`),
    // … then started again in start order, temporary ones excepted
    ...scope.filter((s) => s.restart !== 'temporary').map((s) => `start ${s.id}#2`),
  ];
  const children = layout.flatMap((s) => {
    if (s === subject && !restarted) return s.restart === 'temporary' ? [] : ['x:-'];
    if (!scope.includes(s)) return [`${s.id}:1`];
    return s.restart === 'temporary' ? [] : [`${s.id}:2`];
  });
  return { log, children: children.reverse(), reported: restarted || !exit.clean };
}

async function runStatic(strategy: Exclude<Strategy, 'simple_one_for_one'>, restart: RestartType, exit: ExitCase) {
  const clock = new ManualClock();
  const world = new FakeWorld(clock);
  const reports: SupervisorReport[] = [];
  const supervisor = await Supervisor.start(
    {
      strategy,
      children: [
        world.spec('t0', { restart: 'temporary' }),
        world.spec('a'),
        world.spec('x', { restart }),
        world.spec('c'),
        world.spec('t1', { restart: 'temporary' }),
      ],
    },
    { clock, onReport: (r) => reports.push(r) },
  );
  assert.deepEqual(world.takeLog(), ['start t0#1', 'start a#1', 'start x#1', 'start c#1', 'start t1#1']);
  exit.trigger(world.child('x'));
  const children = await supervisor.whichChildren();
  return { world, supervisor, children, reports };
}

describe('restart matrix (restart type × exit reason × strategy)', () => {
  for (const strategy of STRATEGIES) {
    describe(strategy, () => {
      for (const restart of RESTART_TYPES) {
        for (const exit of EXITS) {
          it(`${restart} child exits ${exit.name}`, async () => {
            if (strategy === 'simple_one_for_one') return checkSimple(restart, exit);
            const expected = expectStatic(strategy, restart, exit);
            const { world, supervisor, children, reports } = await runStatic(strategy, restart, exit);
            assert.deepEqual(world.takeLog(), expected.log);
            assert.deepEqual(summarize(children), expected.children);
            const terminated = reports.filter((r) => r.kind === 'child_terminated' && r.childId === 'x');
            assert.equal(terminated.length, expected.reported ? 1 : 0);
            assert.equal(await supervisor.stop(), 'shutdown');
          });
        }
      }
    });
  }
});

async function checkSimple(restart: RestartType, exit: ExitCase): Promise<void> {
  const clock = new ManualClock();
  const world = new FakeWorld(clock);
  const supervisor = await Supervisor.start<[string]>(
    { strategy: 'simple_one_for_one', children: [world.template({ restart })] },
    { clock },
  );
  for (const name of ['d1', 'd2', 'd3']) await supervisor.startChild([name]);
  world.takeLog();
  exit.trigger(world.child('d2'));
  const children = await supervisor.whichChildren();
  const restarted = isRestarted(restart, exit);
  // Only the subject is ever restarted, with the arguments it was started with.
  assert.deepEqual(world.takeLog(), [
    `exit d2#1 ${formatExitReason(exit.observed)}`,
    ...(restarted ? ['start d2#2'] : []),
  ]);
  assert.deepEqual(
    summarize(children).sort(),
    ['d1:1', 'd3:1', ...(restarted ? ['d2:2'] : [])].sort(),
  );
  assert.ok(children.every((c) => c.id === undefined));
  assert.equal(await supervisor.stop(), 'shutdown');
  await settle();
}

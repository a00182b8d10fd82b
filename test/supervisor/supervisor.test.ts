/** Restart intensity and escalation, shutdown, and the supervisor API, with an injected clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChildHandle, ChildSpec } from '../../src/supervisor/child.js';
import type { SupervisorSpec } from '../../src/supervisor/child-spec.js';
import { SupervisorError } from '../../src/supervisor/errors.js';
import type { ExitReason } from '../../src/supervisor/exit-reason.js';
import { Supervisor, supervisorChildSpec, type SupervisorReport } from '../../src/supervisor/supervisor.js';
import { FakeWorld, summarize, type FakeChild } from './fake-child.js';
import { ManualClock, settle } from './manual-clock.js';

function setup() {
  const clock = new ManualClock();
  const world = new FakeWorld(clock);
  const reports: SupervisorReport[] = [];
  const options = { clock, onReport: (r: SupervisorReport) => reports.push(r) };
  return { clock, world, reports, options };
}

/** Records a supervisor's exit reason once it has one. */
function exitOf(supervisor: ChildHandle): { reason?: ExitReason } {
  const seen: { reason?: ExitReason } = {};
  supervisor.onExit((reason) => (seen.reason = reason));
  return seen;
}

const crash = { error: 'boom' } as const;

async function rejectsWith(promise: Promise<unknown>, code: SupervisorError['code']): Promise<SupervisorError> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SupervisorError, `expected SupervisorError, got ${String(error)}`);
  assert.equal(error.code, code);
  return error;
}

describe('restart intensity', () => {
  it('more than `intensity` restarts within `period` stops all children and exits with shutdown', async () => {
    const { clock, world, reports, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', intensity: 2, period: 5, children: [world.spec('a'), world.spec('b')] },
      options,
    );
    const exited = exitOf(sup);
    world.takeLog();
    world.child('a').end(crash);
    await clock.advanceTo(1000);
    world.child('a').end(crash);
    await clock.advanceTo(2000);
    assert.deepEqual(world.takeLog(), ['exit a#1 {error,boom}', 'start a#2', 'exit a#2 {error,boom}', 'start a#3']);
    world.child('a').end(crash);
    await settle();
    assert.deepEqual(world.takeLog(), ['exit a#3 {error,boom}', 'exit b#1 shutdown']);
    assert.equal(exited.reason, 'shutdown');
    assert.ok(reports.some((r) => r.kind === 'reached_max_restart_intensity' && r.childId === 'a'));
    await rejectsWith(sup.whichChildren(), 'noproc');
  });

  it('restarts older than the period no longer count; one exactly `period` ago still does', async () => {
    const { clock, world, options } = setup();
    const sup = await Supervisor.start({ strategy: 'one_for_one', intensity: 1, period: 5, children: [world.spec('a')] }, options);
    const exited = exitOf(sup);
    for (const at of [0, 5001, 10002]) {
      await clock.advanceTo(at);
      world.child('a').end(crash);
      await settle();
    }
    assert.equal(exited.reason, undefined);
    assert.equal(world.child('a').id, 'a#4');
    await clock.advanceTo(15002); // exactly 5 s after the last restart
    world.child('a').end(crash);
    await settle();
    assert.equal(exited.reason, 'shutdown');
  });

  it('intensity 0 gives up at the first restart', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start({ strategy: 'one_for_one', intensity: 0, children: [world.spec('a')] }, options);
    const exited = exitOf(sup);
    world.child('a').end(crash);
    await settle();
    assert.equal(exited.reason, 'shutdown');
    assert.equal(world.child('a').id, 'a#1');
  });

  it('exits that need no restart do not count', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', intensity: 0, children: [world.spec('t', { restart: 'transient' })] },
      options,
    );
    world.child('t').end('normal');
    assert.deepEqual(summarize(await sup.whichChildren()), ['t:-']);
  });

  it('simultaneous deaths under one_for_all count as one restart', async () => {
    const { world, reports, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_all', intensity: 1, children: [world.spec('a'), world.spec('b'), world.spec('c')] },
      options,
    );
    world.takeLog();
    world.child('a').end(crash);
    world.child('b').end(crash);
    await settle();
    assert.deepEqual(world.takeLog(), [
      'exit a#1 {error,boom}',
      'exit b#1 {error,boom}',
      'exit c#1 shutdown',
      'start a#2',
      'start b#2',
      'start c#2',
    ]);
    // b's crash is found while stopping it, and reported as a shutdown error, as OTP does.
    assert.ok(reports.some((r) => r.kind === 'shutdown_error' && r.childId === 'b'));
    assert.deepEqual(summarize(await sup.whichChildren()), ['c:2', 'b:2', 'a:2']);
  });
});

describe('escalation through nested supervisors', () => {
  const midSpec = (world: FakeWorld): SupervisorSpec => ({
    strategy: 'one_for_all',
    intensity: 0,
    children: [world.spec('m1'), world.spec('m2')],
  });

  it('a child supervisor that gives up is restarted by its parent; a parent that gives up escalates further', async () => {
    const { clock, world, options } = setup();
    const top = await Supervisor.start(
      {
        strategy: 'one_for_one',
        intensity: 1,
        period: 5,
        children: [world.spec('w0'), supervisorChildSpec('mid', midSpec(world), options)],
      },
      options,
    );
    const topExit = exitOf(top);
    const [mid1] = (await top.whichChildren()).filter((c) => c.id === 'mid');
    assert.deepEqual(world.takeLog(), ['start w0#1', 'start m1#1', 'start m2#1']);

    world.child('m1').end(crash);
    await settle();
    assert.deepEqual(world.takeLog(), ['exit m1#1 {error,boom}', 'exit m2#1 shutdown', 'start m1#2', 'start m2#2']);
    const [mid2] = (await top.whichChildren()).filter((c) => c.id === 'mid');
    assert.notEqual(mid2.child, mid1.child, 'mid was restarted as a new supervisor');
    assert.equal(topExit.reason, undefined);

    await clock.advanceTo(1000);
    world.child('m1').end(crash);
    await settle();
    // mid gives up again: top's second restart within 5 s exceeds intensity 1, so top stops w0 and exits.
    assert.deepEqual(world.takeLog(), ['exit m1#2 {error,boom}', 'exit m2#2 shutdown', 'exit w0#1 shutdown']);
    assert.equal(topExit.reason, 'shutdown');
  });

  it('a transient child supervisor that gives up is not restarted: shutdown is a clean exit', async () => {
    const { world, options } = setup();
    const top = await Supervisor.start(
      { strategy: 'one_for_one', children: [supervisorChildSpec('mid', midSpec(world), options, 'transient')] },
      options,
    );
    world.child('m1').end(crash);
    await settle();
    assert.deepEqual(summarize(await top.whichChildren()), ['mid:-']);
    assert.equal(world.child('m1').id, 'm1#1');
  });

  it('a supervisor child is typed supervisor and defaults to shutdown infinity', async () => {
    const { clock, world, options } = setup();
    const inner: SupervisorSpec = {
      strategy: 'one_for_one',
      children: [world.spec('slow', { shutdown: 10_000, onShutdown: 'hang' })],
    };
    const top = await Supervisor.start({ strategy: 'one_for_one', children: [supervisorChildSpec('mid', inner, options)] }, options);
    assert.deepEqual(await top.countChildren(), { specs: 1, active: 1, supervisors: 1, workers: 0 });
    const stopped = exitOf(top);
    void top.stop();
    await clock.advance(9_999); // a worker's 5000 ms default would have killed mid by now
    assert.equal(stopped.reason, undefined);
    assert.ok(world.child('slow').alive);
    await clock.advance(1);
    assert.equal(world.child('slow').alive, false);
    assert.equal(stopped.reason, 'shutdown');
  });
});

describe('shutdown', () => {
  it('stops children in reverse start order', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', children: [world.spec('a'), world.spec('b'), world.spec('c')] },
      options,
    );
    await sup.startChild(world.spec('d'));
    world.takeLog();
    assert.equal(await sup.stop(), 'shutdown');
    assert.deepEqual(world.takeLog(), ['exit d#1 shutdown', 'exit c#1 shutdown', 'exit b#1 shutdown', 'exit a#1 shutdown']);
  });

  it('waits up to the timeout, then kills (and reports the kill)', async () => {
    const { clock, world, reports, options } = setup();
    const sup = await Supervisor.start(
      {
        strategy: 'one_for_one',
        children: [
          world.spec('slow', { shutdown: 100, onShutdown: { delayMs: 50 } }),
          world.spec('stuck', { shutdown: 100, onShutdown: 'hang' }),
        ],
      },
      options,
    );
    world.takeLog();
    const exited = exitOf(sup);
    void sup.stop();
    await clock.advance(99);
    assert.deepEqual(world.signals, ['stuck#1 <- shutdown']);
    await clock.advance(1);
    assert.deepEqual(world.signals, ['stuck#1 <- shutdown', 'stuck#1 <- kill', 'slow#1 <- shutdown']);
    assert.deepEqual(world.takeLog(), ['exit stuck#1 killed']);
    await clock.advance(50);
    assert.deepEqual(world.takeLog(), ['exit slow#1 shutdown']);
    assert.equal(exited.reason, 'shutdown');
    const errors = reports.filter((r) => r.kind === 'shutdown_error');
    assert.deepEqual(errors.map((r) => [r.childId, r.kind === 'shutdown_error' && r.reason]), [['stuck', 'killed']]);
  });

  it('brutal_kill kills at once without asking', async () => {
    const { world, reports, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', children: [world.spec('b', { shutdown: 'brutal_kill', onShutdown: 'hang' })] },
      options,
    );
    await sup.terminateChild('b');
    assert.deepEqual(world.signals, ['b#1 <- kill']);
    assert.equal(world.child('b').alive, false);
    assert.equal(reports.filter((r) => r.kind === 'shutdown_error').length, 0);
  });

  it('infinity waits as long as it takes', async () => {
    const { clock, world, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', children: [world.spec('i', { shutdown: 'infinity', onShutdown: 'hang' })] },
      options,
    );
    const exited = exitOf(sup);
    void sup.stop();
    await clock.advance(24 * 3600 * 1000);
    assert.equal(exited.reason, undefined);
    world.child('i').end('shutdown');
    await settle();
    assert.equal(exited.reason, 'shutdown');
  });

  it('simple_one_for_one stops its dynamic children concurrently under one timeout', async () => {
    const { clock, world, options } = setup();
    const sup = await Supervisor.start<[string]>(
      { strategy: 'simple_one_for_one', children: [world.template({ shutdown: 100, onShutdown: { delayMs: 10 } })] },
      options,
    );
    for (const name of ['d1', 'd2', 'd3']) await sup.startChild([name]);
    await sup.startChild(['stuck']);
    world.takeLog();
    const exited = exitOf(sup);
    void sup.stop();
    await settle();
    assert.equal(world.signals.length, 4, 'everyone is asked at once');
    await clock.advance(10);
    assert.deepEqual(world.takeLog().sort(), ['exit d1#1 shutdown', 'exit d2#1 shutdown', 'exit d3#1 shutdown', 'exit stuck#1 shutdown']);
    assert.equal(exited.reason, 'shutdown');
  });

  it('simple_one_for_one kills the dynamic children still running when the shared timeout expires', async () => {
    const { clock, world, options } = setup();
    const sup = await Supervisor.start<[string]>(
      { strategy: 'simple_one_for_one', children: [world.template({ shutdown: 100, onShutdown: 'hang' })] },
      options,
    );
    for (const name of ['d1', 'd2']) await sup.startChild([name]);
    world.takeLog();
    const exited = exitOf(sup);
    void sup.stop();
    await clock.advance(100);
    assert.deepEqual(world.takeLog().sort(), ['exit d1#1 killed', 'exit d2#1 killed']);
    assert.equal(exited.reason, 'shutdown');
  });

  it('a killed supervisor exits killed at once and its children receive killed', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start({ strategy: 'one_for_one', children: [world.spec('a'), world.spec('h', { onShutdown: 'hang' })] }, options);
    const exited = exitOf(sup);
    sup.exit('kill', 'test');
    assert.equal(exited.reason, 'killed');
    assert.deepEqual(world.signals, ['a#1 <- killed', 'h#1 <- killed']);
    await rejectsWith(sup.countChildren(), 'noproc');
  });

  it('a call in progress when the supervisor is killed is answered noproc', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', children: [world.spec('i', { shutdown: 'infinity', onShutdown: 'hang' })] },
      options,
    );
    const terminating = sup.terminateChild('i');
    await settle();
    sup.exit('kill', 'test');
    await rejectsWith(terminating, 'noproc');
  });

  it('a child whose (asynchronous) start completes after its supervisor was killed is ended with killed', async () => {
    const { world, options } = setup();
    let finishStart!: () => void;
    const startGate = new Promise<void>((resolve) => (finishStart = resolve));
    const sup = await Supervisor.start({ strategy: 'one_for_one', children: [] }, options);
    const starting = sup.startChild({
      id: 'late',
      start: async () => {
        await startGate;
        return world.spec('late').start();
      },
    });
    await settle();
    sup.exit('kill', 'test');
    finishStart();
    await rejectsWith(starting, 'noproc');
    assert.deepEqual(world.signals, ['late#1 <- killed']);
    assert.equal(world.child('late').alive, false);
  });
});

describe('start failures', () => {
  it('a child failing at init stops the started ones and fails the supervisor start', async () => {
    const { world, options } = setup();
    world.failStarts('b', 1);
    const error = await rejectsWith(
      Supervisor.start({ strategy: 'one_for_one', children: [world.spec('a'), world.spec('b'), world.spec('c')] }, options),
      'failed_to_start_child',
    );
    assert.equal(error.childId, 'b');
    assert.match(String((error.cause as Error).message), /refused/);
    assert.deepEqual(world.takeLog(), ['start a#1', 'start-failed b', 'exit a#1 shutdown']);
  });

  it('a failed restart leaves the child restarting, retries through the mailbox and counts each attempt', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start({ strategy: 'one_for_one', intensity: 3, children: [world.spec('a')] }, options);
    world.takeLog();
    world.failStarts('a', 1);
    world.child('a').end(crash);
    // Queued behind the exit, ahead of the retry the exit queues.
    await rejectsWith(sup.restartChild('a'), 'restarting');
    assert.deepEqual(summarize(await sup.whichChildren()), ['a:2']);
    assert.deepEqual(world.takeLog(), ['exit a#1 {error,boom}', 'start-failed a', 'start a#2']);
  });

  it('failed restarts exhaust the intensity', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start({ strategy: 'rest_for_one', intensity: 2, children: [world.spec('a'), world.spec('b')] }, options);
    const exited = exitOf(sup);
    world.takeLog();
    world.failStarts('a', 10);
    world.child('a').end(crash);
    await settle();
    assert.deepEqual(world.takeLog(), [
      'exit a#1 {error,boom}',
      'exit b#1 shutdown',
      'start-failed a',
      'start-failed a',
    ]);
    assert.equal(exited.reason, 'shutdown');
  });
});

describe('supervisor API', () => {
  it('startChild: already_started, already_present, start_failed, ignore', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start({ strategy: 'one_for_one', children: [world.spec('a')] }, options);
    const started = await rejectsWith(sup.startChild(world.spec('a')), 'already_started');
    assert.equal(started.child, world.child('a'));
    await sup.terminateChild('a');
    await rejectsWith(sup.startChild(world.spec('a')), 'already_present');
    world.failStarts('f', 1);
    await rejectsWith(sup.startChild(world.spec('f')), 'start_failed');
    const ignored: ChildSpec = { id: 'ign', start: () => 'ignore' };
    assert.equal(await sup.startChild(ignored), undefined);
    assert.equal(await sup.startChild({ ...ignored, id: 'ign-temp', restart: 'temporary' }), undefined);
    assert.deepEqual(summarize(await sup.whichChildren()), ['ign:-', 'a:-']);
    await rejectsWith(sup.startChild(['args'] as never), 'invalid_spec');
  });

  it('terminateChild keeps the spec (and does not restart), restartChild and deleteChild act on stopped children', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', children: [world.spec('a'), world.spec('t', { restart: 'temporary' })] },
      options,
    );
    world.takeLog();
    await sup.terminateChild('a');
    await sup.terminateChild('t');
    assert.deepEqual(world.takeLog(), ['exit a#1 shutdown', 'exit t#1 shutdown']);
    assert.deepEqual(summarize(await sup.whichChildren()), ['a:-']);
    await rejectsWith(sup.terminateChild('t'), 'not_found');
    const again = await sup.restartChild('a');
    assert.equal(again?.id, 'a#2');
    await rejectsWith(sup.restartChild('a'), 'running');
    await rejectsWith(sup.deleteChild('a'), 'running');
    await rejectsWith(sup.restartChild('nope'), 'not_found');
    await sup.terminateChild('a');
    await sup.deleteChild('a');
    assert.deepEqual(await sup.whichChildren(), []);
    await rejectsWith(sup.deleteChild('a'), 'not_found');
  });

  it('restartChild reports a failing start and keeps the spec', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start({ strategy: 'one_for_one', children: [world.spec('a')] }, options);
    await sup.terminateChild('a');
    world.failStarts('a', 1);
    await rejectsWith(sup.restartChild('a'), 'start_failed');
    assert.deepEqual(summarize(await sup.whichChildren()), ['a:-']);
  });

  it('whichChildren lists newest first; countChildren counts specs, active, supervisors and workers', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start(
      { strategy: 'one_for_one', children: [world.spec('a'), world.spec('s', { type: 'supervisor' })] },
      options,
    );
    await sup.startChild(world.spec('b'));
    const children = await sup.whichChildren();
    assert.deepEqual(children.map((c) => [c.id, c.type]), [['b', 'worker'], ['s', 'supervisor'], ['a', 'worker']]);
    await sup.terminateChild('a');
    assert.deepEqual(await sup.countChildren(), { specs: 3, active: 2, supervisors: 1, workers: 2 });
  });

  it('simple_one_for_one: children by handle; id-based calls are refused', async () => {
    const { world, options } = setup();
    const sup = await Supervisor.start<[string]>({ strategy: 'simple_one_for_one', children: [world.template()] }, options);
    const d1 = (await sup.startChild(['d1'])) as FakeChild;
    await sup.startChild(['d2']);
    assert.deepEqual(await sup.countChildren(), { specs: 1, active: 2, supervisors: 0, workers: 2 });
    await sup.terminateChild(d1);
    assert.equal(d1.alive, false);
    assert.deepEqual(summarize(await sup.whichChildren()), ['d2:1']);
    await rejectsWith(sup.terminateChild(d1), 'not_found');
    await rejectsWith(sup.terminateChild('template'), 'simple_one_for_one');
    await rejectsWith(sup.restartChild('template'), 'simple_one_for_one');
    await rejectsWith(sup.deleteChild('template'), 'simple_one_for_one');
    world.failStarts('bad', 1);
    await rejectsWith(sup.startChild(['bad']), 'start_failed');
    assert.equal((await sup.countChildren()).active, 1);
  });

  it('rejects malformed specs', async () => {
    const { world, options } = setup();
    await rejectsWith(Supervisor.start({ strategy: 'one_for_one', intensity: -1, children: [] }, options), 'invalid_spec');
    await rejectsWith(Supervisor.start({ strategy: 'one_for_one', period: 0, children: [] }, options), 'invalid_spec');
    await rejectsWith(
      Supervisor.start({ strategy: 'one_for_one', children: [world.spec('a'), world.spec('a')] }, options),
      'invalid_spec',
    );
    await rejectsWith(
      Supervisor.start({ strategy: 'one_for_one', children: [world.spec('a', { shutdown: -5 })] }, options),
      'invalid_spec',
    );
    assert.deepEqual(world.log, []);
  });
});

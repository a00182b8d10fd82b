/** Links, monitors and trap_exit (erlang:link/monitor/exit/process_flag semantics). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcessError } from '../../src/supervisor/errors.js';
import type { ExitReason } from '../../src/supervisor/exit-reason.js';
import { ProcessTable, type ProcessBehaviour, type ProcessMessage, type SpawnOptions } from '../../src/supervisor/process-table.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { settle } from './manual-clock.js';

const crash = { error: 'boom' } as const;

/** A process that keeps what it receives and how it ended. */
function spawnRecorder(table: ProcessTable, options: SpawnOptions = {}, onMessage?: (m: ProcessMessage) => void) {
  const inbox: ProcessMessage[] = [];
  const ended: ExitReason[] = [];
  const behaviour: ProcessBehaviour = {
    receive(message) {
      inbox.push(message);
      onMessage?.(message);
    },
    terminated: (reason) => ended.push(reason),
  };
  const handle = table.spawn(behaviour, options);
  return { pid: handle.id, handle, inbox, ended };
}

describe('links', () => {
  it('an abnormal exit kills linked processes that do not trap exits, transitively', () => {
    const table = new ProcessTable();
    const a = spawnRecorder(table);
    const b = spawnRecorder(table, { linkTo: a.pid });
    const c = spawnRecorder(table, { linkTo: b.pid });
    table.terminate(a.pid, crash);
    assert.deepEqual([a.ended, b.ended, c.ended], [[crash], [crash], [crash]]);
    assert.ok(![a, b, c].some((p) => table.isAlive(p.pid)));
  });

  it('a process trapping exits receives an EXIT message instead, and lives', () => {
    const table = new ProcessTable();
    const a = spawnRecorder(table);
    const trapper = spawnRecorder(table, { trapExits: true, linkTo: a.pid });
    const bystander = spawnRecorder(table, { linkTo: trapper.pid });
    table.terminate(a.pid, crash);
    assert.deepEqual(trapper.inbox, [{ kind: 'exit', from: a.pid, reason: crash }]);
    assert.ok(table.isAlive(trapper.pid) && table.isAlive(bystander.pid));
  });

  it('a normal exit does not kill links; trapping links are told', () => {
    const table = new ProcessTable();
    const a = spawnRecorder(table);
    const plain = spawnRecorder(table, { linkTo: a.pid });
    const trapper = spawnRecorder(table, { trapExits: true, linkTo: a.pid });
    table.terminate(a.pid, 'normal');
    assert.ok(table.isAlive(plain.pid));
    assert.deepEqual(plain.inbox, []);
    assert.deepEqual(trapper.inbox, [{ kind: 'exit', from: a.pid, reason: 'normal' }]);
  });

  it('links are two-way and idempotent; unlink stops propagation both ways', () => {
    const table = new ProcessTable();
    const a = spawnRecorder(table);
    const b = spawnRecorder(table);
    const c = spawnRecorder(table);
    table.link(a.pid, b.pid);
    table.link(b.pid, a.pid);
    table.link(a.pid, c.pid);
    table.unlink(c.pid, a.pid);
    table.terminate(b.pid, 'shutdown');
    assert.deepEqual(a.ended, ['shutdown']);
    assert.ok(table.isAlive(c.pid));
  });

  it('linking to a dead process: EXIT noproc when trapping, a noproc error otherwise', () => {
    const table = new ProcessTable();
    const dead = spawnRecorder(table);
    table.terminate(dead.pid, 'normal');
    const trapper = spawnRecorder(table, { trapExits: true });
    table.link(trapper.pid, dead.pid);
    assert.deepEqual(trapper.inbox, [{ kind: 'exit', from: dead.pid, reason: 'noproc' }]);
    const plain = spawnRecorder(table);
    assert.throws(() => table.link(plain.pid, dead.pid), (e: unknown) => e instanceof ProcessError && e.code === 'noproc');
    assert.ok(table.isAlive(plain.pid));
  });
});

describe('exit signals (erlang:exit/2)', () => {
  it('kill is untrappable; the victim ends with killed, which links see as an ordinary reason', () => {
    const table = new ProcessTable();
    const victim = spawnRecorder(table, { trapExits: true });
    const plain = spawnRecorder(table, { linkTo: victim.pid });
    const trapper = spawnRecorder(table, { trapExits: true, linkTo: victim.pid });
    table.exit(trapper.pid, victim.pid, 'kill');
    assert.deepEqual(victim.ended, ['killed']);
    assert.deepEqual(victim.inbox, []);
    assert.deepEqual(plain.ended, ['killed']);
    assert.deepEqual(trapper.inbox, [{ kind: 'exit', from: victim.pid, reason: 'killed' }]);
  });

  it('a process that itself ends with kill sends a trappable kill to its links', () => {
    const table = new ProcessTable();
    const a = spawnRecorder(table);
    const trapper = spawnRecorder(table, { trapExits: true, linkTo: a.pid });
    const plain = spawnRecorder(table, { linkTo: a.pid });
    table.terminate(a.pid, 'kill');
    assert.deepEqual(trapper.inbox, [{ kind: 'exit', from: a.pid, reason: 'kill' }]);
    assert.deepEqual(plain.ended, ['kill']);
  });

  it('normal is ignored unless trapped or sent to oneself; other reasons kill non-trapping targets', () => {
    const table = new ProcessTable();
    const sender = spawnRecorder(table);
    const plain = spawnRecorder(table);
    const trapper = spawnRecorder(table, { trapExits: true });
    table.exit(sender.pid, plain.pid, 'normal');
    table.exit(sender.pid, trapper.pid, 'normal');
    assert.ok(table.isAlive(plain.pid));
    assert.deepEqual(trapper.inbox, [{ kind: 'exit', from: sender.pid, reason: 'normal' }]);
    table.exit(sender.pid, trapper.pid, { shutdown: 'drain' });
    assert.ok(table.isAlive(trapper.pid));
    table.exit(sender.pid, plain.pid, 'shutdown');
    assert.deepEqual(plain.ended, ['shutdown']);
    table.exit(sender.pid, sender.pid, 'normal');
    assert.deepEqual(sender.ended, ['normal']);
  });

  it('setTrapExits switches the behaviour and returns the previous flag', () => {
    const table = new ProcessTable();
    const p = spawnRecorder(table);
    assert.equal(table.setTrapExits(p.pid, true), false);
    table.exit('outside', p.pid, crash);
    assert.ok(table.isAlive(p.pid));
    assert.equal(table.setTrapExits(p.pid, false), true);
    table.exit('outside', p.pid, crash);
    assert.deepEqual(p.ended, [crash]);
  });

  it('a mailbox callback that throws crashes its process', () => {
    const table = new ProcessTable();
    const fragile = spawnRecorder(table, {}, () => {
      throw new Error('bad message');
    });
    table.send(undefined, fragile.pid, 'hello');
    assert.equal(fragile.ended.length, 1);
    assert.match(String(((fragile.ended[0] as { error: Error }).error).message), /bad message/);
  });
});

describe('monitors', () => {
  it('deliver one DOWN per monitor with the exit reason; monitors stack and are one-way', () => {
    const table = new ProcessTable();
    const target = spawnRecorder(table);
    const watcher = spawnRecorder(table);
    const first = table.monitor(watcher.pid, target.pid);
    const second = table.monitor(watcher.pid, target.pid);
    assert.notEqual(first, second);
    table.terminate(target.pid, crash);
    table.terminate(target.pid, 'normal'); // already dead: nothing more
    assert.deepEqual(watcher.inbox, [
      { kind: 'down', ref: first, pid: target.pid, reason: crash },
      { kind: 'down', ref: second, pid: target.pid, reason: crash },
    ]);
    assert.ok(table.isAlive(watcher.pid), 'a monitor is not a link');
  });

  it('monitoring a process that does not exist gives DOWN noproc at once', () => {
    const table = new ProcessTable();
    const watcher = spawnRecorder(table);
    const ref = table.monitor(watcher.pid, '<404>');
    assert.deepEqual(watcher.inbox, [{ kind: 'down', ref, pid: '<404>', reason: 'noproc' }]);
  });

  it('demonitor: no DOWN afterwards, even one already on its way', () => {
    const table = new ProcessTable();
    const target = spawnRecorder(table);
    const watcher = spawnRecorder(table);
    const ref = table.monitor(watcher.pid, target.pid);
    assert.equal(table.demonitor(watcher.pid, ref), true);
    assert.equal(table.demonitor(watcher.pid, ref), false);
    table.terminate(target.pid, crash);
    assert.deepEqual(watcher.inbox, []);

    // Both targets end in one cascade; the watcher drops its monitor on t2 when it hears of t1,
    // while t2's DOWN is already queued.
    const t1 = spawnRecorder(table);
    const t2 = spawnRecorder(table, { linkTo: t1.pid });
    let ref2 = '';
    const w = spawnRecorder(table, {}, (m) => {
      if (m.kind === 'down') table.demonitor(w.pid, ref2);
    });
    table.monitor(w.pid, t1.pid);
    ref2 = table.monitor(w.pid, t2.pid);
    table.terminate(t1.pid, crash);
    assert.equal(t2.ended.length, 1);
    assert.deepEqual(w.inbox.map((m) => m.kind === 'down' && m.pid), [t1.pid]);
  });

  it('a watcher that ends drops its monitors', () => {
    const table = new ProcessTable();
    const target = spawnRecorder(table);
    const watcher = spawnRecorder(table);
    const ref = table.monitor(watcher.pid, target.pid);
    table.terminate(watcher.pid, 'normal');
    assert.equal(table.demonitor(watcher.pid, ref), false);
    table.terminate(target.pid, crash);
    assert.deepEqual(watcher.inbox, []);
  });
});

describe('supervising table processes', () => {
  it('a crash that takes linked workers with it restarts each of them; monitors see the ends', async () => {
    const table = new ProcessTable();
    const started: string[] = [];
    const worker = (name: string) => ({
      id: name,
      start: () => {
        started.push(name);
        return spawnRecorder(table).handle;
      },
    });
    const sup = await Supervisor.start({ strategy: 'one_for_one', intensity: 2, children: [worker('w1'), worker('w2')] });
    const [w2, w1] = (await sup.whichChildren()).map((c) => (c.child as { id: string }).id);
    table.link(w1, w2);
    const observer = spawnRecorder(table);
    table.monitor(observer.pid, w2);
    table.terminate(w1, crash);
    await settle();
    assert.deepEqual(started, ['w1', 'w2', 'w1', 'w2']);
    assert.deepEqual(observer.inbox, [{ kind: 'down', ref: '#Ref<1>', pid: w2, reason: crash }]);
    await sup.stop();
  });

  it('a worker trapping exits hears its supervisor’s shutdown as an EXIT and stops cleanly', async () => {
    const table = new ProcessTable();
    let pid = '';
    const trapping = spawnRecorder.bind(null, table, { trapExits: true }, (m) => {
      if (m.kind === 'exit' && m.reason === 'shutdown') table.terminate(pid, 'shutdown');
    });
    const inboxes: ProcessMessage[][] = [];
    const sup = await Supervisor.start({
      strategy: 'one_for_one',
      children: [
        {
          id: 'trapper',
          start: () => {
            const p = trapping();
            pid = p.pid;
            inboxes.push(p.inbox);
            return p.handle;
          },
        },
      ],
    });
    assert.equal(await sup.stop(), 'shutdown');
    assert.deepEqual(inboxes, [[{ kind: 'exit', from: sup.id, reason: 'shutdown' }]]);
    assert.equal(table.isAlive(pid), false);
  });
});

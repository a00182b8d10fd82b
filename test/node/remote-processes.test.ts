// Links and monitors across nodes, at the level of the node's process bookkeeping
// (src/node/instance-processes.ts): several InstanceProcesses joined by an in-memory network that
// carries signals in order per pair of nodes and follows keys to their holder, as
// src/cluster/remote-mailbox.ts does over HTTP. Real node processes: test/cluster/remote-links.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatExitReason } from '../../src/supervisor/index.js';
import { InstanceProcesses } from '../../src/node/instance-processes.js';
import { isKeySignal, readProcessSignal, type ProcessSignal } from '../../src/node/process-signals.js';
import type { MailboxMessage, MessagingEffect } from '../../src/runtime/messaging.js';

const APP = 'app';

/** A cluster of InstanceProcesses: `holder` says which node holds each key (unlisted keys: n1). */
class FakeCluster {
  readonly nodes = new Map<string, InstanceProcesses>();
  readonly holder = new Map<string, string>();
  readonly down = new Set<string>();
  /** What instances received or suffered, as `node:key <- entry`. */
  readonly log: string[] = [];
  private readonly queue: Array<{ origin: string; to: string; signal: ProcessSignal; hops: number }> = [];

  constructor(names: string[]) {
    for (const name of names) {
      const processes = new InstanceProcesses({
        admits: () => true,
        // The node hands an entry for another node's key to the cluster: here it lands on the holder at once.
        deliver: async (_app, key, m: MailboxMessage) => {
          this.log.push(`${this.holderOf(key)}:${key} <- ${m.kind}|${m.from}|${m.kind === 'message' ? new TextDecoder().decode(m.data) : m.reason}${m.kind === 'down' ? `|${m.ref}` : ''}`);
        },
        killed: (_app, key, reason) => this.log.push(`${name}:${key} killed ${formatExitReason(reason)}`),
      });
      processes.network = {
        self: name,
        nodeOf: (_app, key) => {
          const at = this.holderOf(key);
          return at === name ? null : at;
        },
        signal: (to, signal) => this.queue.push({ origin: name, to, signal, hops: 0 }),
      };
      this.nodes.set(name, processes);
    }
  }

  holderOf(key: string): string {
    return this.holder.get(key) ?? 'n1';
  }

  node(name: string): InstanceProcesses {
    return this.nodes.get(name)!;
  }

  /** One instance of `key` on its holder made these calls. */
  act(key: string, ...effects: MessagingEffect[]): void {
    const at = this.node(this.holderOf(key));
    at.ensure(APP, key);
    at.apply(APP, key, effects);
    this.flush();
  }

  crash(key: string): void {
    this.node(this.holderOf(key)).crashed(APP, key, { error: 'trap' });
    this.flush();
  }

  /** Carries every signal sent, in order; a key's signals go on to its holder. */
  flush(): void {
    for (let s = this.queue.shift(); s; s = this.queue.shift()) {
      if (this.down.has(s.to)) {
        this.node(s.origin).undelivered(s.to, s.signal);
        continue;
      }
      if (isKeySignal(s.signal) && this.holderOf(s.signal.to) !== s.to && s.hops < 3) {
        this.queue.push({ ...s, to: this.holderOf(s.signal.to), hops: s.hops + 1 });
        continue;
      }
      this.node(s.to).receiveSignal(s.origin, s.signal, s.hops > 0);
    }
  }

  /** The node left the cluster: the others learn it (as from their membership). */
  kill(name: string): void {
    this.down.add(name);
    for (const [n, p] of this.nodes) if (n !== name) p.nodesDown([name]);
    this.flush();
  }

  /** The log since the last call. */
  take(): string[] {
    return this.log.splice(0);
  }
}

test('a monitor on another node\'s process gets one DOWN with its ref; demonitor leaves nothing', () => {
  const c = new FakeCluster(['n1', 'n2']);
  c.holder.set('b', 'n2');
  c.holder.set('d', 'n2');
  c.act('a', { op: 'monitor', to: 'b', ref: 7 }, { op: 'monitor', to: 'd', ref: 8 }, { op: 'demonitor', ref: 8 });
  c.crash('d');
  c.crash('b');
  assert.deepEqual(c.take(), ['n1:a <- down|b|{error,trap}|7']);
  c.act('b', { op: 'send', to: 'a', data: new TextEncoder().encode('again') });
  c.crash('b');
  assert.deepEqual(c.take(), ['n1:a <- message|b|again'], 'the monitor fired once');
});

test('a link across nodes takes down a non-trapping partner either way; a trapping one gets EXIT; unlink leaves nothing', () => {
  const c = new FakeCluster(['n1', 'n2']);
  for (const k of ['b', 'd', 'u']) c.holder.set(k, 'n2');
  c.act('a', { op: 'link', to: 'b' });
  c.crash('b');
  assert.deepEqual(c.take(), ['n1:a killed {error,trap}']);

  c.act('c', { op: 'link', to: 'd' });
  c.crash('c');
  assert.deepEqual(c.take(), ['n2:d killed {error,trap}']);

  c.act('t', { op: 'trap_exit', on: true }, { op: 'link', to: 'd' });
  c.crash('d');
  assert.deepEqual(c.take(), ['n1:t <- exit|d|{error,trap}']);

  c.act('v', { op: 'link', to: 'u' }, { op: 'unlink', to: 'u' });
  c.crash('u');
  c.crash('v');
  assert.deepEqual(c.take(), []);
});

test('exit/2 to another node\'s process: kill cannot be trapped, and its links see killed', () => {
  const c = new FakeCluster(['n1', 'n2']);
  c.holder.set('b', 'n2');
  c.act('a', { op: 'trap_exit', on: true }, { op: 'link', to: 'b' });
  c.act('b', { op: 'trap_exit', on: true });
  c.act('x', { op: 'exit', to: 'b', reason: 'kill' });
  assert.deepEqual(c.take(), ['n2:b killed killed', 'n1:a <- exit|b|killed']);
});

test('a node that leaves fires noconnection on every link and monitor to its processes; one it cannot reach, at once', () => {
  const c = new FakeCluster(['n1', 'n2', 'n3']);
  for (const k of ['b', 'd', 'e']) c.holder.set(k, 'n2');
  c.act('a', { op: 'monitor', to: 'b', ref: 1 });
  c.act('t', { op: 'trap_exit', on: true }, { op: 'link', to: 'd' });
  c.holder.set('w', 'n3');
  c.act('w', { op: 'link', to: 'd' });
  c.kill('n2');
  assert.deepEqual(c.take().sort(), ['n1:a <- down|b|noconnection|1', 'n1:t <- exit|d|noconnection', 'n3:w killed noconnection']);
  // n2 is down but still the holder in this view: the monitor cannot be set up.
  c.act('a', { op: 'monitor', to: 'e', ref: 2 });
  assert.deepEqual(c.take(), ['n1:a <- down|e|noconnection|2']);
});

test('a process that moves with its instance keeps its links and monitors, both ways', () => {
  const c = new FakeCluster(['n1', 'n2', 'n3']);
  c.holder.set('b', 'n2');
  c.holder.set('p', 'n2');
  c.act('a', { op: 'monitor', to: 'b', ref: 5 });
  c.act('t', { op: 'trap_exit', on: true }, { op: 'link', to: 'b' });
  c.act('b', { op: 'link', to: 'p' }, { op: 'monitor', to: 'm', ref: 9 }, { op: 'trap_exit', on: true });
  // The move: n2 gives the process's state to n3 with the instance, then forgets the instance.
  const state = c.node('n2').export(APP, 'b')!;
  c.holder.set('b', 'n3');
  c.node('n3').adopt(APP, 'b', state);
  c.node('n2').movedAway(APP, 'b', 'n3');
  c.flush();
  assert.equal(c.node('n3').isAlive(APP, 'b'), true);
  assert.equal(c.node('n2').isAlive(APP, 'b'), false, 'n2 keeps only a proxy');

  // What b monitors and is linked to, from n3: m's end is a DOWN, p's an EXIT (b traps, its flag travelled).
  c.crash('m');
  c.crash('p');
  assert.deepEqual(c.take(), ['n3:b <- down|m|{error,trap}|9', 'n3:b <- exit|p|{error,trap}']);
  // b's end on n3 reaches its watchers on n1.
  c.crash('b');
  assert.deepEqual(c.take().sort(), ['n1:a <- down|b|{error,trap}|5', 'n1:t <- exit|b|{error,trap}']);
});

test('a process without an instance goes to its key\'s new owner with its watchers', () => {
  const c = new FakeCluster(['n1', 'n2', 'n3']);
  c.holder.set('b', 'n2');
  c.act('a', { op: 'monitor', to: 'b', ref: 3 });
  c.holder.set('b', 'n3'); // a membership change gave the key to n3
  c.node('n2').handOverStrays();
  c.flush();
  c.crash('b');
  assert.deepEqual(c.take(), ['n1:a <- down|b|{error,trap}|3']);
});

test('a link or monitor sent to a node the key has left follows it, and the sender learns where it went', () => {
  const c = new FakeCluster(['n1', 'n2', 'n3']);
  c.holder.set('b', 'n3');
  c.node('n1').ensure(APP, 'a');
  // n1 still thinks b is on n2: the signal reaches n2, which passes it on to n3.
  c.node('n1').network = { ...c.node('n1').network!, nodeOf: (_app, key) => (key === 'b' ? 'n2' : null) };
  c.node('n1').apply(APP, 'a', [{ op: 'monitor', to: 'b', ref: 4 }]);
  c.flush();
  c.node('n1').network = { ...c.node('n1').network!, nodeOf: (_app, key) => (key === 'b' ? 'n3' : null) };
  // n2 leaving must not fire it: the proxy was told b is on n3.
  c.kill('n2');
  c.crash('b');
  assert.deepEqual(c.take(), ['n1:a <- down|b|{error,trap}|4']);
});

test('a signal from another node is checked field by field', () => {
  const ok: ProcessSignal[] = [
    { kind: 'link', app: APP, from: 'a', to: 'b' },
    { kind: 'exit', app: APP, from: null, to: 'b', reason: { error: 'boom' } },
    { kind: 'ended', app: APP, key: 'b', reason: 'noconnection' },
    { kind: 'adopt', app: APP, to: 'b', process: { trapExits: true, links: [{ key: 'a', node: 'n1' }], monitors: [{ ref: 3, key: 'c', node: 'n2' }], watchers: ['n1'] } },
  ];
  for (const s of ok) assert.deepEqual(readProcessSignal(structuredClone(s)), s);
  const bad: unknown[] = [
    null,
    'ended',
    { kind: 'ended', app: APP, key: 'b', reason: 'whatever' },
    { kind: 'ended', app: APP, key: 'b', reason: { error: new Error('x') } },
    { kind: 'link', app: APP, to: 'b' },
    { kind: 'adopt', app: APP, to: 'b', process: { trapExits: true, links: [{ key: 'a' }], monitors: [], watchers: [] } },
    { kind: 'spawn', app: APP, to: 'b' },
  ];
  for (const v of bad) assert.equal(readProcessSignal(v), null, JSON.stringify(v));
});

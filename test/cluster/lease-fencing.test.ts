// Per-key instances fenced by the membership lease: three node processes and a real etcd on
// loopback, a per-key counter under load entering through every node, and three faults — etcd
// paused past the lease TTL (every node fenced at once), one node cut off from etcd (the others
// take its keys over from it), one node process stalled past the TTL (the others take its keys over
// from their checkpoints). Each key's answers, in the order its client sent them, must count up
// from one copy: never back (once at most, to its last checkpoint, for a key of the stalled node),
// no wrong answer, no request failing once the fault is over; and at the end each key asked
// through every node in turn counts on by one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'undici';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { ClusterNode } from '../support/cluster-node.js';
import { counterWat, watImage } from '../support/wat-apps.js';
import { ownerOf } from '../../src/cluster/rendezvous.js';

const NAMES = ['lf1', 'lf2', 'lf3'];
const APP = 'tally';
/** Two keys owned by each node while all three are members. */
const KEYS = NAMES.flatMap((n) => Array.from({ length: 300 }, (_, i) => `key-${i}`).filter((k) => ownerOf(`${APP}/${k}`, NAMES) === n).slice(0, 2));
/** Past the 3 s membership lease TTL. */
const OUTAGE_MS = 5_000;
/** Long enough that the others take the stalled node's keys over while it is stalled (lease TTL + their 3 s handoff bound). */
const STALL_MS = 9_000;
/** Once a fault is over, every request must succeed again within this. */
const RECOVERY_MS = 5_000;

let etcd: EtcdServer;
const nodes: ClusterNode[] = [];
const pools = new Map<string, Pool>();

interface Answer {
  key: string;
  via: string;
  sentAt: number;
  status: number;
  code: string | null;
  count: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ask(node: ClusterNode, key: string, timeoutMs: number): Promise<Answer> {
  const sentAt = Date.now();
  try {
    const res = await pools.get(node.name)!.request({ method: 'GET', path: '/', headers: { host: `${APP}.localhost`, 'x-key': key }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const text = await res.body.text();
    const error = res.headers['x-flick-error'];
    const m = new RegExp(`^${APP}:(\\d+)$`).exec(text);
    return { key, via: node.name, sentAt, status: res.statusCode, code: typeof error === 'string' ? error : null, count: m ? Number(m[1]) : null };
  } catch (e) {
    return { key, via: node.name, sentAt, status: 0, code: (e as Error).message, count: null };
  }
}

/** The nodes' last output, for failure messages. */
function outputs(): string {
  return nodes.map((n) => `--- ${n.name}\n${n.output.slice(-4000)}`).join('\n');
}

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); ) {
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms\n${outputs()}`);
    await sleep(100);
  }
}

/** One loop per key, each request through the next of `via()` in turn; every answer recorded. */
class PerKeyLoad {
  readonly answers: Answer[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(via: () => ClusterNode[], timeoutMs: number) {
    this.loops = KEYS.map(async (key, k) => {
      for (let i = k; this.running; i++) {
        const targets = via();
        const a = await ask(targets[i % targets.length], key, timeoutMs);
        this.answers.push(a);
        await sleep(a.status === 200 ? 10 : 50);
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** Load for 2 s, the fault, then load until well after it is over. */
async function underLoad(fault: () => Promise<void>, opts: { via?: () => ClusterNode[]; timeoutMs?: number } = {}): Promise<{ answers: Answer[]; over: number }> {
  const load = new PerKeyLoad(opts.via ?? (() => nodes), opts.timeoutMs ?? 8_000);
  await sleep(2_000);
  await fault();
  const over = Date.now();
  await sleep(RECOVERY_MS + 3_000);
  await load.stop();
  return { answers: load.answers, over };
}

/**
 * Per key, in sending order: an answer that is not a count, or a count not above the last one
 * (another copy answering, or one restored from an older state), is listed.
 */
function check(run: { answers: Answer[]; over: number }, allowedBackSteps: (key: string) => number): void {
  const codes: Record<string, number> = {};
  for (const a of run.answers) codes[a.status === 200 ? 'ok' : `${a.status} ${a.code}`] = (codes[a.status === 200 ? 'ok' : `${a.status} ${a.code}`] ?? 0) + 1;
  console.log(`# ${run.answers.length} requests: ${JSON.stringify(codes)}`);
  const problems: string[] = [];
  for (const key of KEYS) {
    let last: Answer | null = null;
    let back = 0;
    for (const a of run.answers.filter((x) => x.key === key)) {
      if (a.status === 200 && a.count === null) problems.push(`${key} via ${a.via}: a wrong answer`);
      if (a.count === null) continue;
      if (last && a.count <= last.count!) {
        back++;
        if (back > allowedBackSteps(key)) problems.push(`${key} via ${a.via} counted ${a.count} after ${last.count} via ${last.via}: two copies, or state lost`);
      }
      last = a;
    }
    if (!run.answers.some((a) => a.key === key && a.status === 200 && a.sentAt > run.over + RECOVERY_MS)) problems.push(`${key} was not served after the fault`);
  }
  for (const a of run.answers) {
    if (a.status !== 200 && a.sentAt > run.over + RECOVERY_MS) problems.push(`${a.key} via ${a.via} failed ${RECOVERY_MS} ms after the fault: ${a.status} ${a.code}`);
    if (a.code === 'key_moving') problems.push(`${a.key} via ${a.via}: forwarded in a loop (key_moving)`);
  }
  assert.deepEqual(problems.slice(0, 20), [], outputs());
}

/** Each key asked through every node in turn counts on by one: one copy answers, wherever it is. */
async function oneCopyEach(): Promise<void> {
  for (const key of KEYS) {
    await until(`${key} counts on by one through every node`, async () => {
      let prev: number | null = null;
      for (const n of nodes) {
        const a = await ask(n, key, 8_000);
        if (a.count === null || (prev !== null && a.count !== prev + 1)) return false;
        prev = a.count;
      }
      return true;
    });
  }
}

before(async () => {
  etcd = await startEtcd();
  // One after the other: three processes compiling the sources at once starve each other.
  for (const name of NAMES) {
    const node = await ClusterNode.start({ name, etcd: etcd.endpoint });
    nodes.push(node);
    pools.set(name, new Pool(node.url, { connections: 16 }));
  }
  const image = watImage(counterWat(APP), { name: APP, instances: { mode: 'per-key', key: { from: 'header', name: 'x-key' } } });
  const deployed = await nodes[0].deploy(image);
  assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
  await oneCopyEach();
}, { timeout: 400_000 });

after(async () => {
  for (const p of pools.values()) await p.destroy().catch(() => {});
  for (const n of nodes) await n.stop().catch(() => {});
  await etcd?.stop();
});

test('etcd paused past the lease TTL: every node fences its keys, and each key comes back as one copy with its count', { timeout: 120_000 }, async () => {
  const run = await underLoad(async () => {
    etcd.pause();
    await sleep(OUTAGE_MS);
    etcd.resume();
  });
  check(run, () => 0);
  assert.ok(run.answers.some((a) => a.code === 'detached'), 'the nodes said they were detached while etcd was out of reach');
  await oneCopyEach();
});

test('a node cut off from etcd stops serving its keys before the others take them over, with their state', { timeout: 120_000 }, async () => {
  const cut = nodes[1];
  const run = await underLoad(async () => {
    cut.proxy.cut();
    await sleep(OUTAGE_MS);
    cut.proxy.heal();
  });
  check(run, () => 0);
  assert.ok(run.answers.some((a) => a.via === cut.name && a.code === 'detached'), 'the cut-off node refused with detached');
  const itsKeys = KEYS.filter((k) => ownerOf(`${APP}/${k}`, NAMES) === cut.name);
  assert.ok(itsKeys.every((k) => run.answers.some((a) => a.key === k && a.via !== cut.name && a.status === 200 && a.sentAt < run.over)), 'its keys were served by the others during the cut');
  await oneCopyEach();
});

test('a node whose lease flaps (cut off past the TTL, back for a moment, cut off again): every key keeps its count', { timeout: 150_000 }, async () => {
  const flapping = nodes[0];
  const run = await underLoad(async () => {
    // Back each time long enough to join again and start taking its keys back, not long enough to
    // settle: the others ask it for keys while it is (again) not a member.
    for (const backMs of [600, 1_200]) {
      flapping.proxy.cut();
      await sleep(OUTAGE_MS);
      flapping.proxy.heal();
      await sleep(backMs);
    }
    flapping.proxy.cut();
    await sleep(OUTAGE_MS);
    flapping.proxy.heal();
  });
  check(run, () => 0);
  await oneCopyEach();
});

test('a node process stalled past the lease TTL answers nothing from its old copies once its keys were taken over', { timeout: 120_000 }, async () => {
  const stalled = nodes[2];
  let stalledNow = false;
  const late: { answer?: Promise<Answer> } = {};
  const itsKeys = KEYS.filter((k) => ownerOf(`${APP}/${k}`, NAMES) === stalled.name);
  const run = await underLoad(
    async () => {
      stalled.pause();
      stalledNow = true;
      // A request that reaches it while it is stalled is served (or not) only after it wakes up,
      // when others have taken its keys over: it must not count on its old copy.
      late.answer = ask(stalled, itsKeys[0], 30_000);
      await sleep(STALL_MS);
      stalledNow = false;
      stalled.resume();
    },
    // The clients give up on it quickly, and leave it alone while it is stalled: the others take its keys over.
    { via: () => (stalledNow ? nodes.filter((n) => n !== stalled) : nodes), timeoutMs: 2_000 },
  );
  const answer = await late.answer!;
  console.log(`# the request sent to the stalled node got ${answer.status} ${answer.code ?? answer.count}`);
  assert.notEqual(answer.status, 200, 'a stalled node does not answer from a copy another node took over');
  // Its keys went back once, to their last checkpoint; no key went back twice (two copies answering in turn).
  check(run, (key) => (itsKeys.includes(key) ? 1 : 0));
  await oneCopyEach();
});

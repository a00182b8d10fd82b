/**
 * Chaos (issue 9 point 4): `npm run chaos -- [--seconds N] [--seed S] [--record FILE] [--logs DIR]`. A real etcd and three
 * `flick up` node processes serve a per-key counter and a replicas app under steady client load
 * while, for a bounded time, two seeded random timelines run: faults (a scheduler thread killed, a
 * node killed with kill -9 and restarted, etcd paused) and changes (deploys and rollbacks). After
 * each, the cluster must converge within 5 s; throughout, no acknowledged change may be lost, no
 * answer may come from a release other than those allowed at its time, and no request may fail
 * for a migration. Prints the seed first (rerun with --seed to get the same faults), then a
 * summary as one JSON line (and with --record, the whole ledger to FILE; with --logs, each node's
 * log to DIR/NAME.log). Exit status 1 when an invariant was violated. The nodes run the built CLI
 * (dist/): `npm run build` first. `npm run chaos -- --replay FILE` checks a recorded ledger again
 * (after a change to the checks) without running anything.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { progress } from '../_harness.js';
import { machineNote } from '../_machine.js';
import { POOL, STALL, TALLY, VERSIONED_APPS, stallImage, versionedImage } from './apps.js';
import { ChaosCluster } from './cluster.js';
import { Clients } from './clients.js';
import { convergence } from './convergence.js';
import { Faults } from './faults.js';
import { Ledger } from './ledger.js';
import { ClientLoad, pause } from './load.js';
import { Random } from './random.js';
import { verdict } from './verdict.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, record: { type: 'string' }, logs: { type: 'string' }, replay: { type: 'string' } } });
if (values.replay !== undefined) {
  const ledger = Ledger.replay(readFileSync(values.replay, 'utf8'));
  process.stdout.write(`${JSON.stringify(verdict(ledger, { chaos: 'replay', record: values.replay }))}\n`);
  process.exit(ledger.violations.length > 0 ? 1 : 0);
}
const seconds = Number(values.seconds);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!(seconds > 0) || !Number.isInteger(seed)) throw new Error('usage: npm run chaos -- [--seconds N] [--seed INTEGER]');

/** Setup (etcd, three nodes, first deploys) and the last fault's recovery may take this much longer than the run. */
const HARD_STOP_MARGIN_MS = 240_000;
const hardStop = setTimeout(() => {
  process.stderr.write(`chaos: hard stop after ${seconds} s + ${HARD_STOP_MARGIN_MS / 1000} s (seed ${seed}): something hung\n`);
  process.exit(2); // the nodes and etcd are killed on exit (_node-process.ts, test/support/etcd.ts)
}, seconds * 1000 + HARD_STOP_MARGIN_MS);
hardStop.unref();

process.env.FLICK_LOG_LEVEL ??= 'warn'; // the nodes' info lines (every deploy phase) would bury the run
progress(`chaos: seed ${seed}, ${seconds} s`);
if (values.logs) mkdirSync(values.logs, { recursive: true });
const cluster = await ChaosCluster.start(values.logs ?? null);
const ledger = new Ledger();
const clients = new Clients(cluster, ledger);
try {
  const first = cluster.node('n1');
  for (const app of VERSIONED_APPS) {
    const d = await first.deploy(versionedImage(app, 1));
    if (d.status !== 'succeeded') throw new Error(`first deploy of ${app} failed: ${d.reason}`);
    ledger.setInitial(app, 'v1');
  }
  await first.deploy(stallImage());
  if ((await convergence(cluster, clients, ledger, Date.now())) === null) throw new Error(`the cluster never served ${TALLY} and ${POOL} v1 everywhere`);

  const load = new ClientLoad(cluster, clients);
  // One random stream per timeline, so that their interleaving does not change what each draws.
  const faults = new Faults(cluster, clients, ledger, new Random(seed));
  const changes = new Faults(cluster, clients, ledger, new Random(seed ^ 0x5bd1e995));
  const deadline = Date.now() + seconds * 1000;
  const timeline = async (random: Random, gapMs: [number, number], pickAndRun: (random: Random) => Promise<void>) => {
    while (Date.now() < deadline) {
      await pause(random.int(...gapMs));
      if (Date.now() < deadline) await pickAndRun(random);
    }
  };
  const infrastructure = (random: Random) => {
    const kind = random.weighted({ scheduler: 1, node: 2, etcd: 2 });
    return kind === 'scheduler' ? faults.killScheduler() : kind === 'node' ? faults.killNode() : faults.pauseEtcd();
  };
  const change = (random: Random) => (random.weighted({ deploy: 2, rollback: 1 }) === 'deploy' ? changes.deploy() : changes.rollback());
  await Promise.all([timeline(new Random(seed + 1), [500, 2000], infrastructure), timeline(new Random(seed + 2), [2000, 6000], change)]);

  progress('chaos: faults over; a last check that everything converged');
  if ((await convergence(cluster, clients, ledger, Date.now())) === null) {
    ledger.violate('convergence over 5 s', 'after the last fault the cluster did not converge within the probe\'s bound');
    // Evidence for the closer look: what each node sees of the cluster (members, lease, replicas) against the store.
    for (const name of cluster.live()) {
      const view = await cluster.node(name).api.json('GET', '/cluster').catch((e: Error) => ({ error: e.message }));
      progress(`chaos: ${name}'s view of the cluster: ${JSON.stringify(view)}`);
    }
  }
  await pause(1000); // a second of load on the settled cluster
  await load.stop();

  const summary = verdict(ledger, {
    chaos: 'cluster',
    seed,
    seconds,
    nodes: 3,
    apps: { [TALLY]: 'per-key counter', [POOL]: 'replicas, 3', [STALL]: 'scheduler killer' },
    load_average_1m: Number(loadavg()[0].toFixed(2)),
    machine: machineNote(),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  // Everything, for a closer look at a violation: every answer, fault and change with its times.
  if (values.record) writeFileSync(values.record, ledger.toRecord({ seed }));
  process.exitCode = ledger.violations.length > 0 ? 1 : 0;
} finally {
  await clients.close();
  await cluster.stop();
  clearTimeout(hardStop);
}

/**
 * deploy: examples/hello under steady load on a real node; a v2 that greets differently is
 * deployed, then rolled back, several times. For each switch, from the deployment record's switch
 * phase (which starts the compare-and-swap of the route) until every request sent from then on
 * is answered by the release switched to: the client tells the releases apart by their answers.
 * `errors` counts every failed request of the whole run. The phases of each record show where the
 * rest of a deploy's time goes.
 */
import { emit, median, progress, quick, round } from './_harness.js';
import { withNode } from './_node-process.js';
import { AppClient, SteadyLoad, failures, sleep, wallMs, type Sample } from './_http.js';
import { helloVariant } from './_fixtures.js';
import { machineNote } from './_machine.js';
import type { DeploymentRecord } from '../src/control/registry.js';

const CYCLES = quick ? 2 : 5;
const CLIENT_LOOPS = 8;
const SETTLE_MS = 300;
const V1 = 'hello from flick: ';
const V2_GREETING = 'hello from flick v2';
const V2 = `${V2_GREETING}: `;

interface Switch {
  kind: 'deploy' | 'rollback';
  /** What the release switched to answers with. */
  to: string;
  record: DeploymentRecord;
  /** Wall-clock bounds of the API call. */
  calledAt: number;
  answeredAt: number;
}

interface SwitchFigures {
  /** From the switch phase's start until every later request got the new release. */
  switch_ms: number;
  /** The switch phase as the node timed it (route CAS + until the node routes by it). */
  phase_ms: number;
  /** Requests sent after the first new answer that still got the old release, spread in ms (0 = clean cut). */
  mixed_ms: number;
}

function figures(sw: Switch, samples: Sample[]): SwitchFigures {
  const phase = sw.record.phases.find((p) => p.name === 'switch');
  if (!phase || phase.status !== 'ok') throw new Error(`${sw.kind} ${sw.record.id} has no successful switch phase`);
  const inCall = samples.filter((s) => s.sentMs >= sw.calledAt && s.sentMs <= sw.answeredAt + SETTLE_MS).sort((a, b) => a.sentMs - b.sentMs);
  const isNew = (s: Sample) => s.body.toString().startsWith(sw.to);
  let lastOld = -1;
  inCall.forEach((s, i) => {
    if (!isNew(s)) lastOld = i;
  });
  const done = inCall[lastOld + 1];
  if (!done) throw new Error(`no request was answered by the new release after the ${sw.kind}`);
  const firstNew = inCall.find(isNew)!;
  return {
    switch_ms: done.sentMs - Date.parse(phase.startedAt),
    phase_ms: phase.ms,
    mixed_ms: lastOld >= 0 ? Math.max(0, inCall[lastOld].sentMs - firstNew.sentMs) : 0,
  };
}

async function timedCall(kind: Switch['kind'], to: string, call: () => Promise<DeploymentRecord>): Promise<Switch> {
  const calledAt = wallMs();
  const record = await call();
  if (record.status !== 'succeeded') throw new Error(`${kind} failed: ${record.reason}`);
  return { kind, to, record, calledAt, answeredAt: wallMs() };
}

const v2 = await helloVariant(V2_GREETING, '2.0.0');

const result = await withNode({ demo: true }, async (node) => {
  const client = new AppClient(node.url, 'hello', CLIENT_LOOPS);
  try {
    const load = new SteadyLoad(client, () => ({ path: '/' }), CLIENT_LOOPS).start();
    await sleep(1000);
    progress(`node at ${node.url}; ${CYCLES} deploy + rollback cycles under ${CLIENT_LOOPS} client loops`);
    const switches: Switch[] = [];
    for (let i = 0; i < CYCLES; i++) {
      switches.push(await timedCall('deploy', V2, () => node.deploy(v2)));
      await sleep(SETTLE_MS);
      switches.push(await timedCall('rollback', V1, () => node.rollback('hello')));
      await sleep(SETTLE_MS);
      progress(`cycle ${i + 1}/${CYCLES} done`);
    }
    const samples = await load.stop();
    return { switches, samples };
  } finally {
    await client.close();
  }
});

const per = result.switches.map((sw) => ({ kind: sw.kind, ...figures(sw, result.samples), phases: Object.fromEntries(sw.record.phases.map((p) => [p.name, p.ms])) }));
const med = (xs: number[]) => round(median(xs), 3);
/** Median time of each phase over the switches of one kind. */
function phaseMedians(kind: Switch['kind']): Record<string, number> {
  const mine = per.filter((p) => p.kind === kind);
  const names = [...new Set(mine.flatMap((p) => Object.keys(p.phases)))];
  return Object.fromEntries(names.map((n) => [n, med(mine.map((p) => p.phases[n]))]));
}
const failed = failures(result.samples);
emit({
  bench: 'deploy',
  switch_ms: med(per.map((p) => p.switch_ms)),
  switch_max_ms: round(Math.max(...per.map((p) => p.switch_ms)), 3),
  node_switch_phase_ms: med(per.map((p) => p.phase_ms)),
  mixed_ms_max: round(Math.max(...per.map((p) => p.mixed_ms)), 3),
  errors: failed.length,
  error_kinds: [...new Set(failed.map((s) => s.error))],
  requests: result.samples.length,
  deploy_phase_ms: phaseMedians('deploy'),
  rollback_phase_ms: phaseMedians('rollback'),
  target: 'switch_ms <= 10, errors = 0',
  conditions: `flick up --demo in a child process; ${CYCLES} x (deploy hello v2 through the control API, ${SETTLE_MS} ms, rollback, ${SETTLE_MS} ms) under ${CLIENT_LOOPS} closed client loops (undici keep-alive) on hello; switch_ms = send time of the first request after which every request got the new release minus the switch phase's startedAt (ms-resolution ISO time: +-1 ms); medians over all ${CYCLES * 2} switches; ${machineNote()}`,
  switches: per,
});

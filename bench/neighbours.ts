/**
 * neighbours: examples/hello's latency alone and beside three hostile apps (a forever loop, a
 * memory bomb, a host-call flood) on one real node; target: p99 with neighbours within 2x of
 * solo. Repeated on fresh nodes; medians.
 */
import { emit, median, quick, repeat, round } from './_harness.js';
import { runNeighbours, type NeighboursResult } from './_neighbours.js';
import { machineNote } from './_machine.js';

const RUNS = quick ? 1 : 2;
const SECONDS = quick ? 3 : 5;
const HELLO_LOOPS = 4;
const HOSTILE_LOOPS = 2;

const details: NeighboursResult[] = [];
const { median: med } = await repeat(RUNS, async () => {
  const r = await runNeighbours({ seconds: SECONDS, helloLoops: HELLO_LOOPS, hostileLoops: HOSTILE_LOOPS });
  details.push(r);
  return {
    solo_p99_ms: r.solo.p99_ms,
    neighbours_p99_ms: r.withNeighbours.p99_ms,
    solo_p50_ms: r.solo.p50_ms,
    neighbours_p50_ms: r.withNeighbours.p50_ms,
    hello_errors: r.solo.errors + r.withNeighbours.errors,
  };
});

emit({
  bench: 'neighbours',
  solo_p99_ms: round(med.solo_p99_ms),
  neighbours_p99_ms: round(med.neighbours_p99_ms),
  p99_ratio: round(med.neighbours_p99_ms / med.solo_p99_ms),
  solo_p50_ms: round(med.solo_p50_ms),
  neighbours_p50_ms: round(med.neighbours_p50_ms),
  hello_errors: details.reduce((a, r) => a + r.solo.errors + r.withNeighbours.errors, 0),
  node_stayed_up: details.every((r) => r.nodeUp),
  scheduler_replacements: details.map((r) => r.schedulerReplacements),
  hostile: details[details.length - 1].hostile,
  target: 'neighbours_p99_ms <= 2 x solo_p99_ms; hostile apps answered 503 with a reason; node up',
  conditions: `flick up --demo in a child process (one scheduler per core); hello under ${HELLO_LOOPS} closed client loops for ${SECONDS} s alone, then ${SECONDS} s beside spin / memory-bomb / host-flood (bench/fixtures, per-request, 10 ms CPU budget each, bomb 16 MiB) under ${HOSTILE_LOOPS} loops each, all undici keep-alive from this process; ${RUNS} runs on fresh nodes, medians; ${machineNote()}`,
  runs: details.map((r) => ({ solo: r.solo, with_neighbours: r.withNeighbours })),
});

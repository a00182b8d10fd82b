/**
 * erlang: flick instances beside Erlang processes (Debian erlang-base, installed when missing),
 * every figure of both sides measured in the same run:
 *  - spawn: flick's spawn loop (bench/_spawn.ts, as the spawn bench: pooled hello, spawn → first
 *    answer) vs an Erlang process spawned, sent a message and its answer received;
 *  - message round trip: two instances of bench/fixtures/pingpong on an in-process FlickNode pass
 *    a counter back and forth (bench/_flick-messaging.ts) vs two Erlang processes doing the same;
 *    µs per round trip = the chain's time / its round trips. Erlang's round trip timed alone
 *    (p50/p99) is given beside it;
 *  - memory per unit: the density bench in a fresh process vs a fresh VM with as many processes,
 *    each spawned and answered once, then idle.
 */
import { emit, median, percentile, progress, quick, repeat, round, sortedCopy } from './_harness.js';
import { machineNote } from './_machine.js';
import { flickSpawnRuns, SPAWN_BURST } from './_spawn.js';
import { startPingPongNode } from './_flick-messaging.js';
import { flickKibPerInstance } from './_density.js';
import { startErlang } from './_erlang.js';

const RUNS = quick ? 3 : 7;
const SPAWN_ROUNDS = quick ? 8 : 40;
const SPAWNS = SPAWN_ROUNDS * SPAWN_BURST;
const ROUND_TRIPS = quick ? 200 : 1000;
const MEMORY_RUNS = quick ? 1 : 3;
const UNITS = quick ? 20_000 : 100_000;

const erlang = startErlang();
progress(`Erlang: ${erlang.version}`);
try {
  // Erlang: spawn, round trip and chain in one VM (warm-up run first, inside), memory in fresh VMs.
  const timing = erlang.run(`timing, ${RUNS}, ${SPAWNS}, ${ROUND_TRIPS}`);
  const perRun = (tag: string, p: number) => timing.get(tag)!.map((ns) => percentile(sortedCopy(ns), p) / 1000);
  const memory = Array.from({ length: MEMORY_RUNS }, () => erlang.run(`memory, ${UNITS}`).get('memory')![0]);
  const [, rssBefore, rssAfter, procBefore, procAfter] = [0, 1, 2, 3, 4].map((i) => median(memory.map((m) => m[i])));

  // flick, in this process: spawn as the spawn bench does it, then the message chain on a node.
  const spawn = await flickSpawnRuns(RUNS, SPAWN_ROUNDS);
  const node = await startPingPongNode();
  let chain: { median: { us: number }; runs: Array<{ us: number }> };
  try {
    await node.chain(ROUND_TRIPS);
    chain = await repeat(RUNS, async () => ({ us: (await node.chain(ROUND_TRIPS)) / ROUND_TRIPS }));
  } finally {
    await node.close();
  }
  const flickMemory = await flickKibPerInstance(UNITS, MEMORY_RUNS);

  emit({
    bench: 'erlang',
    spawn_p50_us: round(spawn.median.p50),
    spawn_p99_us: round(spawn.median.p99),
    peer_spawn_p50_us: round(median(perRun('spawn', 50))),
    peer_spawn_p99_us: round(median(perRun('spawn', 99))),
    message_round_trip_us: round(chain.median.us),
    peer_message_round_trip_us: round(median(timing.get('chain')!.map(([ns]) => ns / 1000 / ROUND_TRIPS)), 3),
    peer_round_trip_alone_p50_us: round(median(perRun('rtt', 50)), 3),
    peer_round_trip_alone_p99_us: round(median(perRun('rtt', 99)), 3),
    kib_per_instance: round(flickMemory.kib),
    peer_kib_per_process: round((rssAfter - rssBefore) / UNITS),
    peer_process_heap_kib_per_process: round((procAfter - procBefore) / UNITS),
    peer: `Erlang/OTP (Debian erlang-base, erl -noshell, default flags: ${erlang.version}); bench/fixtures/flick_peer.erl`,
    conditions:
      `spawn: ${RUNS} runs x ${SPAWNS} spawns each side after a warm-up run; flick = examples/hello from a warm pool refilled every ${SPAWN_BURST} (untimed), spawn → first request answered (as the spawn bench); Erlang = spawn/1 → a message → its answer received; medians of per-run p50/p99. ` +
      `round trip: ${RUNS} runs x a chain of ${ROUND_TRIPS} round trips after a warm-up chain; flick = two per-key instances of bench/fixtures/pingpong on a FlickNode in the bench process (${node.schedulers} scheduler threads, no HTTP), timed from the request that starts the chain until the last receiver's log line reaches the node; Erlang = two processes passing a counter, the last receiver tells the timer; µs per round trip, medians. ` +
      `memory: ${MEMORY_RUNS} run(s) x ${UNITS} units, each in a fresh process; flick = the density bench (RSS after GC minus before); Erlang = ${UNITS} processes spawned and answered once, kept idle in a receive (VmRSS after minus before; erlang:memory(processes) beside it); medians. ${machineNote()}`,
    runs: { flick_spawn: spawn.runs, flick_round_trip_us: chain.runs.map((r) => round(r.us)), flick_kib_per_instance: flickMemory.runs, erlang_memory: memory },
  });
} finally {
  erlang.close();
}

/**
 * Which charts `flick bench all` draws, from which benches' results: flick beside its peers, each
 * group of bars from one bench run (flick's figure measured in the same run as the peers'). A bar
 * whose bench failed or did not report the figure is left out; a chart with no bars is not drawn.
 */
import type { Bar, BarGroup, Chart } from './_svg-chart.js';

export type Results = Record<string, Record<string, unknown> | undefined>;

/** A bar for `results[bench][field] * scale`, or none when the figure is missing. */
function bar(results: Results, bench: string, field: string, label: string, flick: boolean, scale = 1): Bar[] {
  const v = results[bench]?.[field];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? [{ label, value: v * scale, flick }] : [];
}

function group(title: string, ...bars: Bar[][]): BarGroup {
  return { title, bars: bars.flat() };
}

export function charts(r: Results): Chart[] {
  const all: Chart[] = [
    {
      file: 'spawn.svg',
      title: 'Spawn → first answer (p50)',
      unit: 'µs',
      better: 'lower',
      log: true,
      groups: [
        group('bench erlang', bar(r, 'erlang', 'spawn_p50_us', 'flick instance', true), bar(r, 'erlang', 'peer_spawn_p50_us', 'Erlang process', false)),
        group(
          'bench node-workers',
          bar(r, 'node-workers', 'spawn_p50_us', 'flick instance', true),
          bar(r, 'node-workers', 'worker_spawn_p50_us', 'Node worker_threads Worker', false),
          bar(r, 'node-workers', 'cat_spawn_p50_us', 'child process (cat)', false),
          bar(r, 'node-workers', 'child_spawn_p50_us', 'child process (node)', false),
        ),
        group('bench crun', bar(r, 'crun', 'spawn_p50_us', 'flick instance', true), bar(r, 'crun', 'peer_spawn_p50_us', 'OCI container (crun)', false)),
      ],
    },
    {
      file: 'memory.svg',
      title: 'Memory per idle unit',
      unit: 'KiB',
      better: 'lower',
      log: true,
      groups: [
        group('bench erlang', bar(r, 'erlang', 'kib_per_instance', 'flick instance', true), bar(r, 'erlang', 'peer_kib_per_process', 'Erlang process', false)),
        group(
          'bench node-workers',
          bar(r, 'node-workers', 'kib_per_instance', 'flick instance', true),
          bar(r, 'node-workers', 'cat_idle_kib', 'child process (cat)', false),
          bar(r, 'node-workers', 'worker_idle_kib', 'Node worker_threads Worker', false),
          bar(r, 'node-workers', 'child_idle_kib', 'child process (node)', false),
        ),
      ],
    },
    {
      file: 'messaging.svg',
      title: 'Message round trip between two units',
      unit: 'µs',
      better: 'lower',
      log: true,
      groups: [group('bench erlang', bar(r, 'erlang', 'message_round_trip_us', 'flick instances (node)', true), bar(r, 'erlang', 'peer_message_round_trip_us', 'Erlang processes', false))],
    },
    {
      file: 'rps.svg',
      title: 'Requests per second, hello over HTTP keep-alive',
      unit: 'req/s',
      better: 'higher',
      log: false,
      groups: [
        group('bench rps (wasm hello)', bar(r, 'rps', 'rps', 'flick (wasm, per-request)', true), bar(r, 'rps', 'peer_rps', 'workerd', false)),
        group(
          'bench js (JS hello)',
          bar(r, 'js', 'rps', 'flick (JS, replicas: the default)', true),
          bar(r, 'js', 'per_request_rps', 'flick (JS, per-request)', true),
          bar(r, 'js', 'peer_rps', 'workerd', false),
        ),
      ],
    },
    {
      file: 'cold-start.svg',
      title: 'Cold start: code never run before → first response',
      unit: 'ms',
      better: 'lower',
      log: true,
      groups: [
        group('bench js: a new app', bar(r, 'js', 'cold_start_p50_ms', 'flick (deploy → first 200)', true), bar(r, 'js', 'peer_cold_start_p50_ms', 'workerd (new process)', false)),
        group(
          'a new key of a running app (flick)',
          bar(r, 'js', 'isolate_cold_start_p50_ms', 'JS isolate (bench js)', true),
          bar(r, 'firstreq', 'first_request_p50_us', 'wasm instance (bench firstreq)', true, 1 / 1000),
        ),
      ],
    },
  ];
  return all.filter((c) => c.groups.some((g) => g.bars.length > 0));
}

/**
 * crun: an OCI container (Debian crun, a busybox-static rootfs: bench/_oci.ts) started and run to
 * its first output, beside a flick spawn measured in the same run. Where crun cannot run a
 * container here, the result says so with crun's exact error (`runnable: false`) instead of a
 * figure: that is an answer, not a failure of the bench.
 */
import { emit, percentile, progress, quick, repeat, round, sortedCopy } from './_harness.js';
import { machineNote } from './_machine.js';
import { flickSpawnRuns, SPAWN_BURST } from './_spawn.js';
import { cgroupLayout, CRUN_ATTEMPTS, makeBundle, type CrunRun } from './_oci.js';

const RUNS = quick ? 3 : 5;
const CONTAINERS = quick ? 5 : 20;
const FLICK_ROUNDS = quick ? 8 : 40;

const bundle = makeBundle();
try {
  const attempts: Array<{ flags: string; error: string }> = [];
  let flags: string[] | null = null;
  for (const f of CRUN_ATTEMPTS) {
    const r = await bundle.run(f);
    if (r.ok) {
      flags = f;
      break;
    }
    attempts.push({ flags: f.join(' ') || '(defaults)', error: r.error });
    progress(`crun ${f.join(' ')}: ${r.error}`);
  }
  if (flags === null) {
    emit({
      bench: 'crun',
      runnable: false,
      error: `crun: not runnable here: ${attempts[0].error}`,
      attempts,
      cgroup_layout: cgroupLayout(),
      peer: bundle.crunVersion,
      conditions: `a bundle with a busybox-static rootfs and crun spec's config (process: busybox echo ok), run as ${process.getuid?.() === 0 ? 'root' : 'a user'} with crun's defaults, then with --cgroup-manager=disabled; ${machineNote()}`,
    });
  } else {
    const containers = async (): Promise<CrunRun[]> => {
      const out: CrunRun[] = [];
      for (let i = 0; i < CONTAINERS; i++) out.push(await bundle.run(flags!));
      const failed = out.find((r) => !r.ok);
      if (failed) throw new Error(`a container failed: ${failed.error}`);
      return out;
    };
    const peer = await repeat(RUNS, async () => {
      const s = sortedCopy((await containers()).map((r) => r.us));
      return { p50: percentile(s, 50), p99: percentile(s, 99) };
    });
    const spawn = await flickSpawnRuns(RUNS, FLICK_ROUNDS);
    emit({
      bench: 'crun',
      runnable: true,
      spawn_p50_us: round(spawn.median.p50),
      spawn_p99_us: round(spawn.median.p99),
      peer_spawn_p50_us: round(peer.median.p50, 0),
      peer_spawn_p99_us: round(peer.median.p99, 0),
      crun_flags: flags.join(' ') || '(defaults)',
      attempts,
      peer: bundle.crunVersion,
      conditions: `container: crun run of a bundle with a busybox-static rootfs (process: busybox echo ok) → "ok" on its stdout, ${RUNS} runs x ${CONTAINERS} containers one at a time, medians of per-run p50/p99; flick = examples/hello from a warm pool (as the spawn bench), ${RUNS} runs x ${FLICK_ROUNDS * SPAWN_BURST} spawns; ${machineNote()}`,
    });
  }
} finally {
  bundle.close();
}

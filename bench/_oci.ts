/**
 * OCI containers through Debian's crun as a peer: a minimal bundle (a rootfs holding only the
 * static busybox of Debian's busybox-static, and the config `crun spec` writes, its process set to
 * `busybox echo ok`), each container run to completion. Where crun cannot run containers here (a
 * cgroup setup it refuses, no namespaces), the attempt's exact error is the result.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowUs } from './_harness.js';
import { ensureCommands } from './_system-deps.js';

const BUSYBOX = '/bin/busybox';
const RUN_TIMEOUT_MS = 30_000;
/** crun's global flags to try, in order: its defaults, then without cgroups (a container without resource limits is still a container). */
export const CRUN_ATTEMPTS: string[][] = [[], ['--cgroup-manager=disabled']];

export interface CrunRun {
  ok: boolean;
  /** Start → "ok" on the container's stdout, µs. */
  us: number;
  /** crun's stderr when the container did not run. */
  error: string;
}

export interface Bundle {
  crunVersion: string;
  /** Runs one container from the bundle with crun's global `flags`, to its end. */
  run(flags: string[]): Promise<CrunRun>;
  close(): void;
}

export function makeBundle(): Bundle {
  ensureCommands('oci', ['crun', BUSYBOX]);
  const dir = mkdtempSync(join(tmpdir(), 'flick-oci-'));
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox'));
  execFileSync('crun', ['spec'], { cwd: dir });
  const configFile = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { process: { args: string[]; terminal: boolean } };
  config.process.args = ['/bin/busybox', 'echo', 'ok'];
  config.process.terminal = false; // no console socket: stdout is a pipe to the bench
  writeFileSync(configFile, JSON.stringify(config));
  let seq = 0;
  return {
    crunVersion: execFileSync('crun', ['--version'], { encoding: 'utf8' }).split('\n')[0],
    run: (flags) => runContainer(dir, flags, `flick-bench-${process.pid}-${++seq}`),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function runContainer(dir: string, flags: string[], id: string): Promise<CrunRun> {
  return new Promise((resolve) => {
    const t0 = nowUs();
    let us = NaN;
    let stdout = '';
    let stderr = '';
    const c = spawn('crun', [...flags, 'run', '--bundle', dir, id], { stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_TIMEOUT_MS });
    c.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (Number.isNaN(us) && stdout.includes('ok')) us = nowUs() - t0;
    });
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('error', (e) => (stderr += e.message));
    c.once('close', (code, signal) => {
      // A container that failed half-way may be left registered: remove it, whatever happened.
      spawnSync('crun', [...flags, 'delete', '--force', id], { stdio: 'ignore' });
      const ok = code === 0 && !Number.isNaN(us);
      resolve({ ok, us, error: ok ? '' : stderr.trim() || `crun exited ${code ?? signal} without output` });
    });
  });
}

/** The kernel's cgroup mounts as this process sees them: what crun's cgroup errors are about. */
export function cgroupLayout(): string {
  const root = '/sys/fs/cgroup';
  const controllers = (dir: string) => readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim() || 'none';
  if (existsSync(join(root, 'cgroup.controllers'))) return `cgroup v2 only (controllers: ${controllers(root)})`;
  const v1 = readdirSync(root).filter((d) => d !== 'unified').join(', ');
  if (existsSync(join(root, 'unified', 'cgroup.controllers'))) return `hybrid: cgroup v1 hierarchies (${v1}) and a cgroup2 hierarchy at ${root}/unified with controllers: ${controllers(join(root, 'unified'))}`;
  return `cgroup v1 only (${v1})`;
}

/**
 * Benchmarks that spread over several processes (a node, its clients): spawning one with the open
 * file limit raised, talking to it over the IPC channel one command and one reply at a time, and
 * reading what the kernel says about a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { INSTANCE_HOST_FLAGS } from '../src/host/v8-flags.js';

/** Every reply carries what it answers, so a reply can never be taken for another. */
export interface Message {
  t: string;
}

/**
 * Starts `script` (compiled, or TypeScript through tsx) in a fresh node with the open file limit as high as this
 * process may set it: 1,048,576 where the hard limit can be raised (CAP_SYS_RESOURCE), else the
 * hard limit. Its stdout goes to our stderr: our stdout is for the one JSON result.
 */
export function spawnRaised(script: string, args: string[]): ChildProcess {
  const raise = 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []; // run from the sources
  return spawn('bash', ['-c', raise, 'bash', process.execPath, ...INSTANCE_HOST_FLAGS, '--expose-gc', ...loader, script, ...args], {
    stdio: ['ignore', 2, 'inherit', 'ipc'],
  });
}

/** Sends a command and waits for its reply (of type `reply`). */
export function ask<R extends Message, C extends Message = Message>(child: ChildProcess, command: C, reply: R['t']): Promise<R> {
  const answered = awaitMessage<R>(child, reply);
  child.send(command);
  return answered;
}

/**
 * Waits for the child's next message of type `type`. A child reports a failure as `{ t: 'error' }`;
 * that, or the child exiting first, rejects.
 */
export function awaitMessage<R extends Message>(child: ChildProcess, type: R['t']): Promise<R> {
  return new Promise((resolve, reject) => {
    const done = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: Message & { message?: string }) => {
      if (m.t !== type && m.t !== 'error') return;
      done();
      if (m.t === 'error') reject(new Error(`child ${child.pid}: ${m.message}`));
      else resolve(m as R);
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`child ${child.pid} exited (${code ?? signal}) while we waited for '${type}'`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Ends a child: SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The process's resident set, bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** CPU time the process used so far (user + system, all its threads), seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold spaces
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** USER_HZ: what /proc counts CPU time in (100 on every Linux this runs on). */
const CLOCK_TICKS_PER_S = 100;

/** The process's soft limit on open files. */
export function openFileLimit(pid: number | 'self'): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  if (!line) throw new Error(`no open file limit in /proc/${pid}/limits`);
  return Number(line.split(/\s+/)[3]);
}

export function openFiles(pid: number | 'self'): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** In a child: answers each command with `handle`'s reply, or with `{ t: 'error' }` when it throws. */
export function serveCommands(handle: (m: Message) => Promise<Message>): void {
  process.on('message', (m: Message) => {
    handle(m).then(
      (r) => process.send!(r),
      (e: Error) => process.send!({ t: 'error', message: e.stack ?? e.message }),
    );
  });
}

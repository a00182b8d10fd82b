/**
 * Node's own units of isolation as peers of a flick instance: a worker_threads Worker and a child
 * process, each started, asked once and answered (spawn → first answer), and their memory while
 * idle. Each unit runs the smallest echo it can, so the figures are the unit's own cost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { nowUs } from './_harness.js';
import { fullGc } from './_spawn.js';

/** Answers each message with itself (CommonJS: a Worker's eval code is a script). */
const WORKER_ECHO = "require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));";
/** Echoes stdin to stdout. */
const CHILD_ECHO = "process.stdin.on('data', (d) => process.stdout.write(d));";

export interface Unit {
  /** Ends the unit and waits until it has gone. */
  stop(): Promise<void>;
  pid?: number;
}

export interface UnitKind {
  name: string;
  /** Starts one unit and resolves once it has answered a first message; µs taken beside it. */
  start(): Promise<{ unit: Unit; us: number }>;
}

export const workerThread: UnitKind = {
  name: 'worker_threads Worker',
  start: () =>
    new Promise((resolve, reject) => {
      const t0 = nowUs();
      const w = new Worker(WORKER_ECHO, { eval: true });
      w.once('error', reject);
      w.once('message', () => resolve({ unit: { stop: async () => void (await w.terminate()) }, us: nowUs() - t0 }));
      w.postMessage('ping');
    }),
};

/** A child process running `command args`, which must echo its stdin. */
function childKind(name: string, command: string, args: string[]): UnitKind {
  return {
    name,
    start: () =>
      new Promise((resolve, reject) => {
        const t0 = nowUs();
        const c = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
        c.once('error', reject);
        c.stdout!.once('data', () => resolve({ unit: { stop: () => endChild(c), pid: c.pid }, us: nowUs() - t0 }));
        c.stdin!.write('ping\n');
      }),
  };
}

function endChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGKILL');
  return gone;
}

/** A fresh Node process (`node -e`, no flags), the way a Node app is isolated by processes. */
export const nodeChild = childKind('child process (node -e)', process.execPath, ['-e', CHILD_ECHO]);
/** The floor of a process: fork + exec of a small C program (`cat`), no runtime to start. */
export const catChild = childKind('child process (cat)', 'cat', []);

/** Spawn → first answer, µs, for `n` units started and stopped one after another. */
export async function spawnTimes(kind: UnitKind, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const { unit, us } = await kind.start();
    out.push(us);
    await unit.stop();
  }
  return out;
}

/** Private memory of a process (USS: Private_Clean + Private_Dirty), KiB: what one more of it costs. */
function ussKib(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return field('Private_Clean') + field('Private_Dirty');
}

/**
 * Memory per idle unit, KiB: `n` units started (each answered once) and kept. Workers live in this
 * process: its RSS after a full collection minus before, per worker. Child processes: their own
 * private memory, averaged.
 */
export async function idleKib(kind: UnitKind, n: number): Promise<number> {
  fullGc();
  const before = process.memoryUsage().rss;
  const units: Unit[] = [];
  try {
    for (let i = 0; i < n; i++) units.push((await kind.start()).unit);
    fullGc();
    if (units[0].pid === undefined) return (process.memoryUsage().rss - before) / 1024 / n;
    return units.reduce((sum, u) => sum + ussKib(u.pid!), 0) / n;
  } finally {
    await Promise.all(units.map((u) => u.stop()));
  }
}

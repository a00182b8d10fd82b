/**
 * How many WebSocket holder processes a node needs. Every socket is an open file, and the limit on
 * open files is per process (RLIMIT_NOFILE; Node raises its soft limit to the hard one at start), so
 * a node whose hard limit is below its connection target spreads its sockets over several
 * processes. Kept free of other imports: holders load it too.
 */
import { readFileSync } from 'node:fs';

/** How many idle WebSockets a node is sized for by default (DESIGN.md: ≥ 100,000 on one node). */
export const CONNECTION_TARGET = 100_000;
/** Descriptors a holder keeps for itself (stdio, IPC channel, epoll, libuv's pipes) besides sockets. */
export const HOLDER_FILE_RESERVE = 64;
/** Descriptors the main process keeps for HTTP, the store, snapshots, threads, when it holds WebSockets itself. */
export const MAIN_FILE_RESERVE = 1000;
/** Automatic sizing never spawns more than this (each holder costs a Node process, ~40 MiB idle). */
export const MAX_AUTO_HOLDERS = 8;
/** An explicit `--ws-holders` above this is refused. */
export const MAX_HOLDERS = 64;

/** This process's open-file limit (soft, which Node already raised to the hard limit); null when unknown or unlimited. */
export function processFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line ? Number(line.split(/\s+/)[3]) : NaN;
    return Number.isFinite(soft) ? soft : null;
  } catch {
    return null;
  }
}

/** Connections one holder can take under `fileLimit`. */
export function holderCapacity(fileLimit: number): number {
  return Math.max(0, fileLimit - HOLDER_FILE_RESERVE);
}

/**
 * Holders for `target` connections: none when this process can hold them itself (fewer moving
 * parts, no IPC hop), else enough that their limits add up to the target, at most MAX_AUTO_HOLDERS.
 */
export function holdersFor(fileLimit: number | null, target = CONNECTION_TARGET): number {
  if (fileLimit === null || fileLimit - MAIN_FILE_RESERVE >= target) return 0;
  const each = holderCapacity(fileLimit);
  if (each <= 0) return 0;
  return Math.min(MAX_AUTO_HOLDERS, Math.ceil(target / each));
}

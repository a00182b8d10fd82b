/**
 * One node per data directory: the embedded store keeps its watches, leases and revision counter
 * in the process that opened it, so a second node on the same directory would diverge from the
 * first (seen: a node thought killed kept running and finished a deploy under the new one).
 * The lock is a file holding the owner's pid, created exclusively; a lock whose pid is gone is
 * stale (the owner crashed) and is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirBusy extends Error {
  readonly hint: string;
  constructor(dir: string, pid: number) {
    super(`the data directory ${dir} is in use by another flick node (pid ${pid})`);
    this.name = 'DataDirBusy';
    this.hint = `stop that node first, or give this one its own directory (--data DIR)`;
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dir: string): DataDirLock {
  const file = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) throw new DataDirBusy(dir, owner);
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`cannot take the lock ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The host process's own stdio, for `flick run`: the guest's stdout and stderr go straight to fds 1
 * and 2, and its stdin reads fd 0, synchronously (the guest waits in fd_read as a native program does).
 */
import { readSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { StdioSink } from '../host-context.js';
import type { StdinReader } from './scope.js';

/** A stream another part of Node made non-blocking answers EAGAIN: wait a moment and retry. */
const pause = new Int32Array(new SharedArrayBuffer(4));
const RETRY_MS = 2;

function isAgain(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'EAGAIN';
}

export const processStdio: StdioSink = {
  write(fd, bytes) {
    let done = 0;
    while (done < bytes.length) {
      try {
        done += writeSync(fd, bytes, done, bytes.length - done);
      } catch (e) {
        if (!isAgain(e)) throw e;
        Atomics.wait(pause, 0, 0, RETRY_MS);
      }
    }
  },
};

export const processStdin: StdinReader = (into) => {
  for (;;) {
    try {
      return readSync(0, into, 0, into.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EOF') return 0;
      if (!isAgain(e)) throw e;
      Atomics.wait(pause, 0, 0, RETRY_MS);
    }
  }
};

/** The streams attached to a terminal, so the guest's isatty() agrees with the host's. */
export function processTerminals(): Array<0 | 1 | 2> {
  return ([0, 1, 2] as const).filter((fd) => isatty(fd));
}

/**
 * preview1 functions about the process: arguments, environment, clocks, randomness, sleeping
 * (poll_oneoff) and exiting.
 */
import { randomFillSync } from 'node:crypto';
import { deadlineExceeded } from '../../errors.js';
import { Clock, Errno, EventType, Layout, SUBSCRIPTION_CLOCK_ABSTIME } from './abi.js';
import type { CallScope } from './scope.js';
import { WasiExit } from './state.js';

/** For Atomics.wait: the only way to block a thread synchronously for a while. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Clock resolution, in nanoseconds: performance.now() has microseconds. */
const RESOLUTION_NS = 1000;

/**
 * Milliseconds on a clock. Monotonic time is the process's monotonic clock counted from the epoch,
 * so it keeps increasing across a snapshot restored in another process. CPU-time clocks are not the
 * process's CPU time, which other tenants' instances share: they run as the monotonic clock does.
 */
function clockMs(id: number): number {
  if (id === Clock.REALTIME) return Date.now();
  if (id === Clock.MONOTONIC) return performance.timeOrigin + performance.now();
  if (id === Clock.PROCESS_CPUTIME || id === Clock.THREAD_CPUTIME) return performance.now();
  return -1;
}

export function processCalls(scope: CallScope): Record<string, Function> {
  const mem = scope.memory;

  /** Writes strings as argv/environ do: pointers at `ptrs`, NUL-terminated bytes from `buf`. */
  function putStrings(strings: readonly string[], ptrs: number, buf: number): number {
    ptrs >>>= 0;
    buf >>>= 0;
    if (!mem.has(ptrs, strings.length * 4)) return Errno.FAULT;
    let at = buf;
    for (let i = 0; i < strings.length; i++) {
      const bytes = Buffer.from(strings[i] + '\0');
      if (!mem.has(at, bytes.length)) return Errno.FAULT;
      mem.view.setUint32(ptrs + i * 4, at, true);
      at = mem.put(at, bytes);
    }
    return Errno.SUCCESS;
  }

  function putSizes(strings: readonly string[], countPtr: number, sizePtr: number): number {
    countPtr >>>= 0;
    sizePtr >>>= 0;
    if (!mem.has(countPtr, 4) || !mem.has(sizePtr, 4)) return Errno.FAULT;
    let size = 0;
    for (const s of strings) size += Buffer.byteLength(s) + 1;
    mem.view.setUint32(countPtr, strings.length, true);
    mem.view.setUint32(sizePtr, size, true);
    return Errno.SUCCESS;
  }

  return {
    args_sizes_get: (countPtr: number, sizePtr: number) => putSizes(scope.enter().wasi.args, countPtr, sizePtr),
    args_get: (ptrs: number, buf: number) => putStrings(scope.enter().wasi.args, ptrs, buf),
    environ_sizes_get: (countPtr: number, sizePtr: number) => putSizes(scope.enter().wasi.env, countPtr, sizePtr),
    environ_get: (ptrs: number, buf: number) => putStrings(scope.enter().wasi.env, ptrs, buf),

    clock_res_get(id: number, ptr: number): number {
      scope.enter();
      ptr >>>= 0;
      if (clockMs(id) < 0) return Errno.INVAL;
      if (!mem.has(ptr, 8)) return Errno.FAULT;
      mem.setU64(ptr, id === Clock.REALTIME ? 1_000_000 : RESOLUTION_NS);
      return Errno.SUCCESS;
    },

    clock_time_get(id: number, _precision: bigint, ptr: number): number {
      scope.enter();
      ptr >>>= 0;
      const ms = clockMs(id);
      if (ms < 0) return Errno.INVAL;
      if (!mem.has(ptr, 8)) return Errno.FAULT;
      mem.setTimestamp(ptr, ms);
      return Errno.SUCCESS;
    },

    random_get(buf: number, len: number): number {
      scope.enter();
      buf >>>= 0;
      len >>>= 0;
      if (!mem.has(buf, len)) return Errno.FAULT;
      randomFillSync(mem.bytes, buf, len);
      return Errno.SUCCESS;
    },

    /**
     * Waits for the earliest clock subscription, unless an fd subscription is ready: fds are
     * always ready (stdout accepts writes, reads never have to wait for bytes that are already here).
     * The wait blocks the thread: on a node, the call's deadline bounds it.
     */
    poll_oneoff(inPtr: number, outPtr: number, count: number, neventsPtr: number): number {
      const ctx = scope.enter();
      inPtr >>>= 0;
      outPtr >>>= 0;
      count >>>= 0;
      neventsPtr >>>= 0;
      if (count === 0) return Errno.INVAL;
      if (!mem.has(inPtr, count * Layout.SUBSCRIPTION_SIZE) || !mem.has(outPtr, count * Layout.EVENT_SIZE) || !mem.has(neventsPtr, 4)) {
        return Errno.FAULT;
      }
      // Sleep until the first clock fires; no sleep when an fd is ready or a clock is unknown.
      const start = performance.now();
      for (;;) {
        let waitMs = Infinity;
        for (let i = 0; i < count && waitMs > 0; i++) {
          const sub = inPtr + i * Layout.SUBSCRIPTION_SIZE;
          const due = mem.view.getUint8(sub + 8) === EventType.CLOCK ? clockWaitMs(sub, performance.now() - start) : 0;
          waitMs = Number.isNaN(due) ? 0 : Math.min(waitMs, due);
        }
        if (waitMs <= 0) break;
        // A sleep never outlives the call's wall-clock deadline: it ends the call there instead.
        const left = ctx.deadlineAt - performance.now();
        if (waitMs >= left) {
          if (left > 0) Atomics.wait(sleeper, 0, 0, left);
          throw deadlineExceeded();
        }
        Atomics.wait(sleeper, 0, 0, waitMs);
      }
      const elapsedMs = performance.now() - start;
      // Report every subscription that is due now.
      let events = 0;
      for (let i = 0; i < count; i++) {
        const sub = inPtr + i * Layout.SUBSCRIPTION_SIZE;
        const tag = mem.view.getUint8(sub + 8);
        let error: number = Errno.SUCCESS;
        let nbytes = 0;
        if (tag === EventType.CLOCK) {
          const due = clockWaitMs(sub, elapsedMs);
          if (Number.isNaN(due)) error = Errno.INVAL;
          else if (due > 0) continue;
        } else if (tag === EventType.FD_READ || tag === EventType.FD_WRITE) {
          const entry = scope.fd(ctx, mem.view.getUint32(sub + 16, true));
          if (entry === null) error = Errno.BADF;
          else if (tag === EventType.FD_READ && entry.kind === 'stdio' && ctx.wasi.stdin.bytes) nbytes = ctx.wasi.stdin.bytes.length - ctx.wasi.stdin.offset;
        } else {
          error = Errno.INVAL;
        }
        const ev = outPtr + events * Layout.EVENT_SIZE;
        mem.bytes.fill(0, ev, ev + Layout.EVENT_SIZE);
        mem.bytes.copyWithin(ev, sub, sub + 8); // userdata
        mem.view.setUint16(ev + 8, error, true);
        mem.view.setUint8(ev + 10, tag);
        mem.setU64(ev + 16, nbytes);
        events++;
      }
      mem.view.setUint32(neventsPtr, events, true);
      return Errno.SUCCESS;
    },

    proc_exit(code: number): never {
      const ctx = scope.enter();
      ctx.wasi.exitCode = code >>> 0;
      throw new WasiExit(code >>> 0);
    },

    sched_yield: (): number => Errno.SUCCESS,
  };

  /**
   * Milliseconds until a clock subscription is due (<= 0: due), NaN for an unknown clock; a relative
   * timeout counts from the start of the poll, `elapsedMs` ago.
   */
  function clockWaitMs(sub: number, elapsedMs: number): number {
    const id = mem.view.getUint32(sub + 16, true);
    const now = clockMs(id);
    if (now < 0) return NaN;
    const timeoutMs = mem.getU64(sub + 24) / 1e6;
    const absolute = (mem.view.getUint16(sub + 40, true) & SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
    return absolute ? timeoutMs - now : timeoutMs - elapsedMs;
  }
}

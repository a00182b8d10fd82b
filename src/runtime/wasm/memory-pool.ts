/**
 * Ready-made linear memories, so that spawning an instance does not pay for allocating one.
 *
 * Measured on the 2-core dev machine (docs/decisions.md, "Memory pool"): instantiating hello with
 * its own memory costs ~14 µs p50, with a pooled imported memory ~6 µs; copying 1 MiB of snapshot
 * into a fresh memory ~460 µs (page faults), into a pre-faulted one ~22 µs. Hence two shelves:
 *
 * - `cold` memories are only mapped (untouched pages cost no RSS): what a fresh spawn needs.
 * - `warm` memories are grown and written once (pages faulted in) up to `warmPages`: what a
 *   restore needs, so copying a snapshot is a memcpy and not a page-fault storm.
 *
 * Both shelves are refilled off the hot path, in small batches on `setImmediate`, so a burst of
 * spawns is served from the shelf and the allocation cost lands in idle time.
 */

import { nonZeroRuns } from './memory-image.js';

export interface MemoryShape {
  /** Pages the module declares as its initial size. */
  initial: number;
  /** Pages the module may grow to (already capped by the manifest's memory limit). */
  maximum: number;
}

export interface MemoryPoolOptions {
  /** Memories kept ready for spawns. */
  coldTarget: number;
  /** Memories kept pre-faulted for restores (0 disables the warm shelf). */
  warmTarget: number;
  /** Pages each warm memory is grown to and faulted in. */
  warmPages: number;
  /** Memories allocated per refill step, so one step stays well under a millisecond. */
  batch: number;
  /**
   * Leading bytes of each cold memory to fault in when it is shelved: what instantiation and the
   * first call will write anyway (data segments, the first heap page), so those page faults are
   * paid in idle time instead of on the request path.
   */
  prefaultBytes: number;
}

const PAGE = 65536;
/** Larger memories are not recycled: clearing them would cost more than a fresh mapping. */
const RECYCLE_MAX_PAGES = 64;

function clear(memory: WebAssembly.Memory): WebAssembly.Memory {
  const bytes = new Uint8Array(memory.buffer);
  const runs = nonZeroRuns(memory.buffer);
  for (let i = 0; i < runs.length; i += 2) bytes.fill(0, runs[i], runs[i] + runs[i + 1]);
  return memory;
}

export class MemoryPool {
  readonly shape: MemoryShape;
  private readonly opts: MemoryPoolOptions;
  private readonly cold: WebAssembly.Memory[] = [];
  private readonly warm: WebAssembly.Memory[] = [];
  /** Memories of disposed instances, waiting to be cleared and shelved again (cold, or warm: their pages are already faulted in). */
  private readonly dirty: WebAssembly.Memory[] = [];
  private readonly dirtyWarm: WebAssembly.Memory[] = [];
  private refillScheduled = false;
  private closed = false;
  /** Takes that found the shelf empty and allocated on the spot. */
  misses = 0;
  /** Memories allocated in all (each one is external memory to V8 until collected). */
  allocated = 0;

  constructor(shape: MemoryShape, opts: Partial<MemoryPoolOptions> = {}) {
    this.shape = shape;
    this.opts = { coldTarget: 64, warmTarget: 0, warmPages: shape.initial, batch: 16, prefaultBytes: 0, ...opts };
  }

  /** A zeroed memory of at least `shape.initial` pages, for a fresh spawn. */
  takeCold(): WebAssembly.Memory {
    const m = this.cold.pop();
    this.scheduleRefill();
    if (m) return m;
    this.misses++;
    return this.allocate();
  }

  /**
   * A zeroed memory of exactly `pages` pages, faulted in when the warm shelf has that size. Exactly:
   * a restored instance must see the `memory.size` it had when it was snapshotted.
   */
  takeWarm(pages: number): WebAssembly.Memory {
    const m = pages === this.opts.warmPages ? this.warm.pop() : undefined;
    this.scheduleRefill();
    if (m) return m;
    this.misses++;
    const fresh = this.allocate();
    if (pages > this.shape.initial) fresh.grow(pages - this.shape.initial);
    return fresh;
  }

  /**
   * Takes back the memory of an instance that will never run again. Reusing memories matters as
   * much as pooling them: every new one is external memory to V8, and a stream of them triggers
   * garbage collections ("external memory pressure") that made the spawn p99. Memories that grew,
   * or are large, are left to the garbage collector; the others are cleared in idle time (only
   * their non-zero chunks, so untouched pages stay unbacked) and shelved again.
   */
  recycle(memory: WebAssembly.Memory): void {
    if (this.closed) return;
    const pages = memory.buffer.byteLength / PAGE;
    // Shelves take back up to twice their target: a shelf refilled (by allocating) after a take
    // and before the memory that take replaces comes back would otherwise turn that memory away,
    // and a stream of moves (a take on one thread, a return on another, turns apart) would
    // allocate a memory each — the external-memory churn that set off mark-compacts.
    if (this.opts.warmTarget > 0 && pages === this.opts.warmPages && pages <= RECYCLE_MAX_PAGES) {
      if (this.dirtyWarm.length + this.warm.length < 2 * this.opts.warmTarget) this.dirtyWarm.push(memory);
    } else if (pages === this.shape.initial && pages <= RECYCLE_MAX_PAGES) {
      if (this.dirty.length + this.cold.length < 2 * this.opts.coldTarget) this.dirty.push(memory);
    } else {
      return;
    }
    this.scheduleRefill();
  }

  /** Sizes the warm shelf to what restores of this app need (learned from its snapshots). */
  setWarm(target: number, pages: number): void {
    const p = Math.min(Math.max(pages, this.shape.initial), this.shape.maximum);
    if (p !== this.opts.warmPages) this.warm.length = 0;
    this.opts.warmTarget = target;
    this.opts.warmPages = p;
    this.scheduleRefill();
  }

  /**
   * Called with each snapshot's size: keeps a few warm memories of the size the next restore is
   * likely to need. An app whose snapshots vary in size restores the others from cold memories.
   */
  learnRestoreSize(pages: number): void {
    if (pages !== this.opts.warmPages || this.opts.warmTarget === 0) this.setWarm(Math.max(this.opts.warmTarget, 4), pages);
  }

  /** Fills both shelves now (start-up and benchmarks), instead of waiting for idle time. */
  fill(): void {
    while (this.dirty.length > 0) this.cold.push(clear(this.dirty.pop()!));
    while (this.dirtyWarm.length > 0) this.warm.push(clear(this.dirtyWarm.pop()!));
    while (this.cold.length < this.opts.coldTarget) this.cold.push(this.allocateCold());
    while (this.warm.length < this.opts.warmTarget) this.warm.push(this.allocateWarm());
  }

  get available(): { cold: number; warm: number } {
    return { cold: this.cold.length, warm: this.warm.length };
  }

  close(): void {
    this.closed = true;
    this.cold.length = 0;
    this.warm.length = 0;
    this.dirty.length = 0;
    this.dirtyWarm.length = 0;
  }

  private allocate(): WebAssembly.Memory {
    this.allocated++;
    return new WebAssembly.Memory({ initial: this.shape.initial, maximum: this.shape.maximum });
  }

  private allocateCold(): WebAssembly.Memory {
    const m = this.allocate();
    const bytes = Math.min(this.opts.prefaultBytes, m.buffer.byteLength);
    const view = new Uint8Array(m.buffer, 0, bytes);
    for (let at = 0; at < bytes; at += 4096) view[at] = 0;
    return m;
  }

  private allocateWarm(): WebAssembly.Memory {
    const m = this.allocate();
    const extra = this.opts.warmPages - this.shape.initial;
    if (extra > 0) m.grow(extra);
    // Writing (not reading) is what faults a page in; zero is what a fresh memory holds anyway.
    new Uint8Array(m.buffer, 0, this.opts.warmPages * PAGE).fill(0);
    return m;
  }

  private scheduleRefill(): void {
    if (this.refillScheduled || this.closed) return;
    if (this.dirty.length === 0 && this.dirtyWarm.length === 0 && this.cold.length >= this.opts.coldTarget && this.warm.length >= this.opts.warmTarget) return;
    this.refillScheduled = true;
    setImmediate(() => this.refillStep()).unref();
  }

  private refillStep(): void {
    this.refillScheduled = false;
    if (this.closed) return;
    for (let i = 0; i < this.opts.batch && this.dirty.length > 0; i++) this.cold.push(clear(this.dirty.pop()!));
    for (let i = 0; i < this.opts.batch && this.dirtyWarm.length > 0; i++) this.warm.push(clear(this.dirtyWarm.pop()!));
    for (let i = 0; i < this.opts.batch && this.cold.length < this.opts.coldTarget; i++) this.cold.push(this.allocateCold());
    for (let i = 0; i < this.opts.batch && this.warm.length < this.opts.warmTarget; i++) this.warm.push(this.allocateWarm());
    this.scheduleRefill();
  }
}

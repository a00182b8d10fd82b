/**
 * A node's view of one prefix of the store, kept current: read everything, then follow the changes
 * from the next revision — and never silently stop. When the watch fails, or has not delivered a
 * change the store has held for a whole audit period, the prefix is read again, what the view
 * missed is handed over as ordinary changes, and a new watch starts. A view that stops moving
 * would leave the node routing on old facts for good (a member it never sees come back, a replica
 * assignment it never learns), and nothing would say so.
 *
 * Reads and events go through one queue, and a read only ever moves a key forward: a put is handed
 * over when its revision is newer than what the view has for the key, a delete when the key is
 * gone from a read taken after the view's last change to it. So the consumer sees one change
 * stream, in order per key, whichever way a change reached it.
 */
import { isStoreError } from './errors.js';
import type { KeyValue, Store, Watch, WatchEvent } from './store.js';

export interface PrefixFollowerOptions {
  /** How often the prefix is read again to catch a watch that stopped delivering. 0: only when the watch fails. */
  auditMs?: number;
  /** Pause before reading again after the store failed. */
  retryMs?: number;
  /** Told when the watch failed or lagged and the prefix is read again (for the node's log). */
  onRecover?: (why: string) => void;
}

export class PrefixFollower {
  /** The revision of each key in the view (as of the last change handed over for it). */
  private readonly known = new Map<string, number>();
  private watch: Watch | null = null;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private auditTimer: NodeJS.Timeout | null = null;
  /** The store's revision at the previous audit, and the keys it found deleted that the view still had. */
  private lastAuditRevision = 0;
  private goneAtLastAudit = new Set<string>();
  /** Times the prefix was read again because the watch failed or lagged. */
  recoveries = 0;

  private constructor(
    private readonly store: Store,
    readonly prefix: string,
    private readonly change: (event: WatchEvent) => void | Promise<void>,
    private readonly opts: PrefixFollowerOptions,
  ) {}

  /**
   * Reads the prefix (handing every key over as a put) and starts following it. Fails when the
   * first read does: a node does not start on a view it could not read.
   */
  static async start(store: Store, prefix: string, change: (event: WatchEvent) => void | Promise<void>, opts: PrefixFollowerOptions = {}): Promise<PrefixFollower> {
    const f = new PrefixFollower(store, prefix, change, opts);
    await f.readAndWatch();
    if (opts.auditMs) {
      f.auditTimer = setInterval(() => f.enqueue(() => f.audit()), opts.auditMs);
      f.auditTimer.unref();
    }
    return f;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.auditTimer) clearInterval(this.auditTimer);
    await this.watch?.close();
  }

  /** Runs `step` after everything queued before it. */
  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.closed ? undefined : step())).catch(() => undefined);
  }

  /** Reads the prefix, hands over what the view lacks, and watches from right after the read. */
  private async readAndWatch(): Promise<void> {
    const { revision, listed } = await this.read();
    await this.merge(listed, revision);
    if (this.closed) return;
    const watch = await this.store.watch(this.prefix, { fromRevision: revision + 1 });
    this.watch = watch;
    void this.follow(watch);
  }

  private async follow(watch: Watch): Promise<void> {
    let why: string;
    try {
      for await (const ev of watch) {
        const done = new Promise<void>((resolve) => this.enqueue(async () => {
          await this.apply(ev);
          resolve();
        }));
        await done;
      }
      why = 'the watch ended';
    } catch (e) {
      why = `the watch failed: ${(e as Error).message}`;
    }
    if (this.closed || watch !== this.watch) return;
    this.enqueue(() => this.recover(why));
  }

  /** A put or delete from the watch: handed over unless a read has already moved the key past it. */
  private async apply(ev: WatchEvent): Promise<void> {
    const have = this.known.get(ev.key) ?? 0;
    if (ev.revision <= have) return;
    if (ev.type === 'put') this.known.set(ev.key, ev.revision);
    else if (this.known.has(ev.key)) this.known.delete(ev.key);
    else return;
    await this.change(ev);
  }

  /** Every key of a read at (or after) `revision`, merged into the view, forward only. */
  private async merge(listed: KeyValue[], revision: number): Promise<void> {
    const gone = this.goneFrom(listed, revision);
    for (const kv of listed) {
      if (kv.revision <= (this.known.get(kv.key) ?? 0)) continue;
      this.known.set(kv.key, kv.revision);
      await this.change({ type: 'put', key: kv.key, value: kv.value, revision: kv.revision });
    }
    for (const key of gone) {
      this.known.delete(key);
      await this.change({ type: 'delete', key, revision });
    }
  }

  /** The whole prefix, with the store's revision taken before it (the read is at or after it). */
  private async read(): Promise<{ revision: number; listed: KeyValue[] }> {
    const revision = await this.store.revision();
    return { revision, listed: await this.store.list(this.prefix) };
  }

  /** Keys the view has that a read at (or after) `revision` no longer holds, and that the view has not seen change since. */
  private goneFrom(listed: KeyValue[], revision: number): Set<string> {
    const present = new Set(listed.map((kv) => kv.key));
    return new Set([...this.known].filter(([key, at]) => !present.has(key) && at <= revision).map(([key]) => key));
  }

  /**
   * The periodic read. Changes newer than the previous audit may still be on their way through the
   * watch; one the store already held then, and the view still lacks, means the watch has stopped
   * delivering: the prefix is read again and a new watch replaces it.
   */
  private async audit(): Promise<void> {
    let read: { revision: number; listed: KeyValue[] };
    try {
      read = await this.read();
    } catch {
      return; // the store is out of reach: the next audit tries again, the watch resumes by itself
    }
    const { revision, listed } = read;
    const lagging = listed.some((kv) => kv.revision > (this.known.get(kv.key) ?? 0) && kv.revision <= this.lastAuditRevision);
    const gone = this.goneFrom(listed, revision);
    const goneTwice = [...gone].some((key) => this.goneAtLastAudit.has(key));
    this.goneAtLastAudit = gone;
    this.lastAuditRevision = revision;
    if (lagging || goneTwice) await this.recover(`the watch had not delivered a change the store held ${this.opts.auditMs} ms ago`);
  }

  /** Reads the prefix again and starts a new watch, retrying while the store is out of reach. */
  private async recover(why: string): Promise<void> {
    this.recoveries++;
    this.opts.onRecover?.(`${this.prefix}: ${why}; reading it again`);
    const old = this.watch;
    this.watch = null;
    void old?.close();
    while (!this.closed) {
      try {
        await this.readAndWatch();
        return;
      } catch (e) {
        if (isStoreError(e, 'closed')) return;
        await new Promise((r) => setTimeout(r, this.opts.retryMs ?? 250).unref());
      }
    }
  }
}

/**
 * Per-key instance state surviving the loss of its node: every `intervalMs`, each per-key instance
 * that served requests since its last checkpoint (or has a new hibernation snapshot, or a new
 * successor) is snapshotted without stopping it and sent to its successor — the node that owns
 * the key when this one is gone (rendezvous without this node), so the node that takes the key
 * over after a crash is the one that has its checkpoint. The successor keeps it on disk under
 * DATA/replicas/ and restores it when it becomes the key's owner with no live previous holder.
 *
 * What a crash can lose: the instance-memory changes of at most the last interval (plus the time
 * to send). KV writes are not in this window: they are durable before their request is answered
 * (kv-replication.ts).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlickNode } from '../node/node.js';
import type { InstanceRecord } from '../node/instance-table.js';
import type { InstanceSnapshot } from '../node/scheduler/protocol.js';
import type { KeyDirectory } from './key-directory.js';
import type { MoveLog, PeerAddresses } from './key-moves.js';
import type { PeerForwarder } from './forward.js';
import { PeriodicSweep } from './periodic-sweep.js';
import { decodeTravelling, encodeTravelling, servingKeys, type TravellingKey } from './key-transfer.js';

const SEND_TIMEOUT_MS = 10_000;

export class KeyCheckpoints extends PeriodicSweep {
  private readonly dir: string;
  /** What each instance's last checkpoint covered, and where it went. */
  private readonly sent = new WeakMap<InstanceRecord, { requests: number; to: string; snapshot: InstanceSnapshot | null }>();
  readonly counters = { sent: 0, failed: 0, stored: 0, restored: 0 };

  constructor(
    private readonly node: FlickNode,
    private readonly directory: KeyDirectory,
    private readonly peers: PeerAddresses,
    private readonly link: PeerForwarder,
    private readonly log: MoveLog,
    /** Whether this node may vouch for its copies now (key-fence.ts): a fenced node's copies may be stale. */
    private readonly trusted: () => boolean,
    dataDir: string,
    intervalMs: number,
  ) {
    super(intervalMs);
    this.dir = join(dataDir, 'replicas');
    mkdirSync(this.dir, { recursive: true });
  }

  /** One pass: checkpoints every per-key instance whose state or successor changed since its last one. */
  protected async pass(): Promise<void> {
    if (!this.trusted()) return;
    for (const rec of servingKeys(this.node)) {
      if (rec.status === 'moving' || rec.unconfirmed) continue;
      const to = this.directory.ownerWithout(rec.app, rec.key, this.directory.self);
      const address = to === null ? undefined : this.peers.addressOf(to);
      if (to === null || address === undefined) continue;
      const last = this.sent.get(rec);
      if (last && last.to === to && (rec.status === 'hibernated' ? last.snapshot === rec.snapshot : last.requests === rec.requests)) continue;
      const requests = rec.requests;
      let snapshot: InstanceSnapshot;
      if (rec.status === 'hibernated') snapshot = rec.snapshot!;
      else {
        const reply = await this.node.schedulers[rec.scheduler].snapshot(rec.id, false).catch(() => null);
        if (!reply || reply.error || !reply.snapshot) continue;
        snapshot = reply.snapshot;
      }
      const body = encodeTravelling({ app: rec.app, key: rec.key, release: rec.release, snapshot, requests, errors: rec.errors, restarts: rec.restarts });
      try {
        const res = await this.link.call(address, 'POST', '/cluster/keys/checkpoint', body, { timeoutMs: SEND_TIMEOUT_MS, peer: to });
        if (res.status !== 200) throw new Error(`${res.status} ${res.body.toString().slice(0, 200)}`);
        this.sent.set(rec, { requests, to, snapshot: rec.status === 'hibernated' ? rec.snapshot : null });
        this.counters.sent++;
      } catch (e) {
        this.counters.failed++;
        this.log.warn({ app: rec.app, key: rec.key, to, err: (e as Error).message }, 'a checkpoint could not be sent to the key\'s successor');
      }
    }
  }

  /** The receiving end (POST /cluster/keys/checkpoint): kept on disk, replacing the key's previous one. */
  store(body: Uint8Array): void {
    const t = decodeTravelling(body);
    const file = this.file(t.app, t.key);
    writeFileSync(`${file}.tmp`, body);
    renameSync(`${file}.tmp`, file);
    this.counters.stored++;
  }

  /** The key's checkpoint, removed from disk (it becomes a live instance), or null. */
  take(app: string, key: string): TravellingKey | null {
    const file = this.file(app, key);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return null;
    }
    rmSync(file, { force: true });
    this.counters.restored++;
    return decodeTravelling(bytes);
  }

  /** The key arrived live from another node: an older checkpoint of it must never be restored. */
  drop(app: string, key: string): void {
    rmSync(this.file(app, key), { force: true });
  }

  private file(app: string, key: string): string {
    return join(this.dir, `${encodeURIComponent(app)}.${Buffer.from(key).toString('base64url')}.snap`);
  }
}

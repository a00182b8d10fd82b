/**
 * Replica state surviving the loss of its node. Every `intervalMs`, each replica this node hosts
 * that served requests since its last checkpoint is snapshotted without stopping it and sent to
 * every other live member — the placer decides only after a death where the replica goes, so each
 * candidate keeps a copy. They are kept by the data path's checkpoint shelf (key-checkpoints.ts,
 * `POST /_flick/api/cluster/keys/checkpoint`, one file per app and key under DATA/replicas/).
 *
 * A node given a replica whose previous node is no longer a member takes the copy off its shelf
 * and registers it as a hibernated instance before the pool's supervisor starts the replica: the
 * replica comes back from its last checkpoint instead of fresh. What a crash can lose: the
 * instance-memory changes of the last interval (plus the time to send).
 */
import type { FlickNode } from '../node/node.js';
import type { InstanceRecord } from '../node/instance-table.js';
import type { MemberInfo } from './membership.js';
import type { PeerForwarder } from './forward.js';
import { PeriodicSweep } from './periodic-sweep.js';
import { adopt, encodeTravelling, type TravellingKey } from './key-transfer.js';

const SEND_TIMEOUT_MS = 10_000;

/** Where checkpoints sent to this node are kept (the data path's KeyCheckpoints). */
export interface CheckpointShelf {
  take(app: string, key: string): TravellingKey | null;
}

export interface CheckpointLog {
  warn(fields: object, message: string): void;
}

export class ReplicaCheckpoints extends PeriodicSweep {
  /** Requests each instance had served at its last checkpoint, and to whom it went. */
  private readonly sent = new WeakMap<InstanceRecord, { requests: number; peers: string }>();
  /** Set once the data path exists: until then nothing is restored (replicas start fresh). */
  shelf: CheckpointShelf | null = null;
  readonly counters = { sent: 0, failed: 0, restored: 0 };

  constructor(
    private readonly node: FlickNode,
    private readonly self: string,
    /** The other live members now. */
    private readonly peers: () => MemberInfo[],
    private readonly link: PeerForwarder,
    private readonly log: CheckpointLog,
    intervalMs: number,
  ) {
    super(intervalMs);
  }

  /** One pass: every running replica of the routed release that changed since its last checkpoint. */
  protected async pass(): Promise<void> {
    const peers = this.peers();
    if (peers.length === 0) return;
    const names = peers.map((p) => p.name).join(',');
    for (const rec of [...this.node.table.all()]) {
      if (rec.status !== 'running' || !this.isServingReplica(rec)) continue;
      const last = this.sent.get(rec);
      if (last && last.requests === rec.requests && last.peers === names) continue;
      const requests = rec.requests;
      const reply = await this.node.schedulers[rec.scheduler].snapshot(rec.id, false).catch(() => null);
      if (!reply || reply.error || !reply.snapshot) continue;
      const body = encodeTravelling({ app: rec.app, key: rec.key, release: rec.release, snapshot: reply.snapshot, requests, errors: rec.errors, restarts: rec.restarts });
      const results = await Promise.allSettled(peers.map((p) => this.send(p, body)));
      const failed = results.filter((r) => r.status === 'rejected').length;
      this.counters.sent += results.length - failed;
      this.counters.failed += failed;
      if (failed < results.length) this.sent.set(rec, { requests, peers: names });
    }
  }

  /**
   * Before this node starts replicas it was just given: each one whose previous node is gone comes
   * back from this node's copy of its checkpoint, if it has one of the release the app runs now.
   */
  restore(app: string, gained: ReadonlyArray<{ index: number; from: string | null }>, isMember: (node: string) => boolean): void {
    const release = this.node.active.get(app)?.release;
    if (!this.shelf || !release) return;
    for (const { index, from } of gained) {
      if (from === null || from === this.self || isMember(from)) continue;
      const key = `#${index}`;
      const checkpoint = this.shelf.take(app, key);
      if (!checkpoint || checkpoint.release !== release || this.node.table.find(release, key)) continue;
      try {
        adopt(this.node, checkpoint);
        this.counters.restored++;
      } catch (e) {
        this.log.warn({ app, key, err: (e as Error).message }, 'a replica\'s checkpoint could not be restored; it starts fresh');
      }
    }
  }

  private isServingReplica(rec: InstanceRecord): boolean {
    const route = this.node.active.get(rec.app);
    return route?.release === rec.release && this.node.releases.get(rec.release)?.manifest.instances.mode === 'replicas' && /^#\d+$/.test(rec.key);
  }

  private async send(peer: MemberInfo, body: Uint8Array): Promise<void> {
    const res = await this.link.call(peer.address, 'POST', '/cluster/keys/checkpoint', body, { timeoutMs: SEND_TIMEOUT_MS, peer: peer.name });
    if (res.status !== 200) throw new Error(`${peer.name} answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
  }
}

/**
 * Messages and process signals between nodes. The node hands every mailbox entry (a message, an
 * EXIT or a DOWN) for a per-key instance it neither holds nor owns to `route`, and every process
 * signal (process-signals.ts: links, monitors, exit signals, ends) for another node to `signal`;
 * both go to that node (`POST /_flick/api/cluster/keys/deliver`), which delivers or applies them
 * as its own. One at a time per peer, so everything from this node arrives in the order it was
 * sent, as on one node (Erlang orders signals between two processes the same way).
 *
 * A signal addressed to a key follows the key: one that reaches a node the key is leaving waits
 * for the move, then goes where the key went. An entry for a node that does not answer is
 * dropped and counted, as Erlang drops a message to a node it lost; a link or monitor that
 * cannot reach its node fires `noconnection` at once, and when a node leaves the members (its
 * lease expired: it died or was cut off) every link and monitor to its processes fires
 * `noconnection` (instance-processes.ts).
 */
import { serialize, deserialize } from 'node:v8';
import type { FlickNode } from '../node/node.js';
import type { MailboxMessage } from '../runtime/messaging.js';
import { isKeySignal, readProcessSignal, setsUpWatch, type KeySignal, type ProcessNetwork, type ProcessSignal } from '../node/process-signals.js';
import type { KeyDirectory } from './key-directory.js';
import type { KeyMoves, MoveLog, PeerAddresses } from './key-moves.js';
import { MAX_HOPS, type PeerForwarder } from './forward.js';
import { servingRecord, KeyTransferError } from './key-transfer.js';
import { KeyedSerial } from '../keyed-serial.js';

const SEND_TIMEOUT_MS = 5_000;

type Envelope =
  | { kind: 'deliver'; origin: string; app: string; key: string; message: MailboxMessage }
  /** `hops`: how many nodes passed it on, following its key. */
  | { kind: 'signal'; origin: string; hops: number; signal: ProcessSignal };

export class RemoteMailbox implements ProcessNetwork {
  /** Sends in flight, per peer: each waits for the one before. */
  private readonly outbound = new KeyedSerial();
  /** Arrivals being applied, per sending node: a signal waiting for its key's move holds back what came after it. */
  private readonly inbound = new KeyedSerial();
  readonly counters = { sent: 0, dropped: 0, received: 0, signalsSent: 0, signalsDropped: 0 };

  constructor(
    private readonly node: FlickNode,
    private readonly directory: KeyDirectory,
    private readonly moves: KeyMoves,
    private readonly peers: PeerAddresses,
    private readonly link: PeerForwarder,
    private readonly log: MoveLog,
  ) {
    node.processes.network = this;
    // Before the keys move (the data path rebalances after the directory changed): links and
    // monitors to a departed node's processes fire, and processes without an instance go to
    // their key's new owner.
    directory.onChange((gone) => {
      node.processes.nodesDown(gone);
      node.processes.handOverStrays();
    });
  }

  get self(): string {
    return this.directory.self;
  }

  /**
   * The node the placer gave replica `key` (`#i`) of a replicas app, or null (set by the daemon
   * from the cluster's assignments: src/daemon/cluster-control.ts).
   */
  replicaHost: (app: string, key: string) => string | null = () => null;

  /**
   * The node that holds `key` when it is not this one: for a per-key app where it went, or its
   * owner; for a replicas app the node its replica is assigned to.
   */
  nodeOf(app: string, key: string): string | null {
    if (this.directory.live.length === 0) return null;
    const route = this.node.active.get(app);
    const mode = route && this.node.releases.get(route.release)?.manifest.instances.mode;
    if (mode !== 'per-key' && mode !== 'replicas') return null;
    if (servingRecord(this.node, app, key)) return null;
    if (mode === 'replicas') {
      const host = this.replicaHost(app, key);
      return host !== null && host !== this.directory.self && this.directory.isLive(host) ? host : null;
    }
    const away = this.moves.movedTo(app, key);
    if (away !== undefined && this.directory.isLive(away)) return away;
    const owner = this.directory.ownerOf(app, key);
    return owner !== null && owner !== this.directory.self ? owner : null;
  }

  /** FlickNode.remoteDelivery: true when the entry goes to another node. */
  route(app: string, key: string, message: MailboxMessage): boolean {
    const to = this.nodeOf(app, key);
    if (to === null || this.peers.addressOf(to) === undefined) return false;
    this.send(to, { kind: 'deliver', origin: this.self, app, key, message }, (err) => {
      this.counters.dropped++;
      this.node.processes.counters.dropped++;
      this.log.warn({ app, key, to, kind: message.kind, err: err.message }, 'a mailbox entry for an instance on another node was dropped');
    });
    return true;
  }

  /** ProcessNetwork.signal: to `to`, after everything sent there before. */
  signal(to: string, signal: ProcessSignal): void {
    this.send(to, { kind: 'signal', origin: this.self, hops: 0, signal }, (err) => {
      this.dropSignal(to, signal, err);
      this.node.processes.undelivered(to, signal);
    });
  }

  /** The receiving end: applied here in arrival order per sending node (a delivery itself runs on). */
  receive(body: Uint8Array): void {
    const e = decodeEnvelope(body);
    this.counters.received++;
    void this.inbound.run(e.origin, () => this.accept(e)).catch((err: Error) => this.log.warn({ from: e.origin, kind: e.kind, err: err.message }, 'an entry from another node could not be applied'));
  }

  private async accept(e: Envelope): Promise<void> {
    if (e.kind === 'deliver') return void this.node.deliverHere(e.app, e.key, e.message);
    const { signal } = e;
    if (isKeySignal(signal)) {
      // As a request would: wait while the key is leaving this node, then follow it.
      await this.moves.settled(signal.app, signal.to);
      const at = this.nodeOf(signal.app, signal.to);
      if (at !== null && e.hops < MAX_HOPS) return this.forward(at, e, signal);
    }
    this.node.processes.receiveSignal(e.origin, signal, e.hops > 0);
  }

  private forward(to: string, e: Extract<Envelope, { kind: 'signal' }>, signal: KeySignal): void {
    this.send(to, { ...e, hops: e.hops + 1 }, (err) => {
      this.dropSignal(to, signal, err);
      // The origin set up a watch through this node: it must not wait for an end it will never hear of.
      if (setsUpWatch(signal)) this.signal(e.origin, { kind: 'ended', app: signal.app, key: signal.to, reason: 'noconnection' });
    });
  }

  private dropSignal(to: string, signal: ProcessSignal, err: Error): void {
    this.counters.signalsDropped++;
    this.log.warn({ app: signal.app, to, kind: signal.kind, err: err.message }, 'a process signal for another node was dropped');
  }

  private send(to: string, envelope: Envelope, failed: (err: Error) => void): void {
    const body = serialize(envelope);
    void this.outbound.run(to, async () => {
      try {
        const address = this.peers.addressOf(to);
        if (address === undefined) throw new Error(`node ${to} is not a member of the cluster`);
        const res = await this.link.call(address, 'POST', '/cluster/keys/deliver', body, { timeoutMs: SEND_TIMEOUT_MS, peer: to });
        if (res.status !== 200) throw new Error(`${res.status} ${res.body.toString().slice(0, 200)}`);
        if (envelope.kind === 'deliver') this.counters.sent++;
        else this.counters.signalsSent++;
      } catch (e) {
        failed(e as Error);
      }
    });
  }
}

function decodeEnvelope(body: Uint8Array): Envelope {
  const e = deserialize(body) as Record<string, unknown> | null;
  if (typeof e === 'object' && e !== null && typeof e.origin === 'string') {
    if (e.kind === 'deliver' && typeof e.app === 'string' && typeof e.key === 'string' && typeof e.message === 'object' && e.message !== null) {
      return e as Envelope;
    }
    const signal = e.kind === 'signal' && Number.isInteger(e.hops) ? readProcessSignal(e.signal) : null;
    if (signal !== null) return { kind: 'signal', origin: e.origin, hops: e.hops as number, signal };
  }
  throw new KeyTransferError('the body is not a serialised mailbox entry or process signal', 'only flick nodes call this endpoint', 400, 'bad_request');
}

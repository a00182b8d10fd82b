/**
 * Messages between per-key instances on different nodes. The node hands every mailbox entry (a
 * message, an EXIT or a DOWN) for a key it neither holds nor owns to `route`, which sends it to
 * the key's node (`POST /_flick/api/cluster/keys/deliver`); that node delivers it as its own. One
 * entry at a time per peer, so entries from this node arrive in the order they were sent, as on
 * one node. An entry for a node that does not answer is dropped and counted, as Erlang drops a
 * message to a node it lost.
 *
 * Links and monitors are still kept per node: a link or monitor to a key held by another node
 * does not fire when that instance ends there.
 */
import { serialize, deserialize } from 'node:v8';
import type { FlickNode } from '../node/node.js';
import type { MailboxMessage } from '../runtime/messaging.js';
import type { KeyDirectory } from './key-directory.js';
import type { KeyMoves, MoveLog, PeerAddresses } from './key-moves.js';
import type { PeerForwarder } from './forward.js';
import { servingRecord, KeyTransferError } from './key-transfer.js';

const SEND_TIMEOUT_MS = 5_000;

interface Envelope {
  app: string;
  key: string;
  message: MailboxMessage;
}

export class RemoteMailbox {
  private readonly queues = new Map<string, Promise<void>>();
  readonly counters = { sent: 0, dropped: 0, received: 0 };

  constructor(
    private readonly node: FlickNode,
    private readonly directory: KeyDirectory,
    private readonly moves: KeyMoves,
    private readonly peers: PeerAddresses,
    private readonly link: PeerForwarder,
    private readonly log: MoveLog,
  ) {}

  /** FlickNode.remoteDelivery: true when the entry goes to another node. */
  route(app: string, key: string, message: MailboxMessage): boolean {
    if (this.directory.live.length === 0) return false;
    const route = this.node.active.get(app);
    if (!route || this.node.releases.get(route.release)?.manifest.instances.mode !== 'per-key') return false;
    if (servingRecord(this.node, app, key)) return false;
    const owner = this.directory.ownerOf(app, key);
    const to = this.moves.movedTo(app, key) ?? (owner !== this.directory.self ? owner : null);
    const address = to === null ? undefined : this.peers.addressOf(to);
    if (to === null || address === undefined) return false;
    const body = serialize({ app, key, message } satisfies Envelope);
    const previous = this.queues.get(to) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const res = await this.link.call(address, 'POST', '/cluster/keys/deliver', body, { timeoutMs: SEND_TIMEOUT_MS, peer: to });
        if (res.status !== 200) throw new Error(`${res.status} ${res.body.toString().slice(0, 200)}`);
        this.counters.sent++;
      } catch (e) {
        this.counters.dropped++;
        this.node.processes.counters.dropped++;
        this.log.warn({ app, key, to, kind: message.kind, err: (e as Error).message }, 'a mailbox entry for an instance on another node was dropped');
      }
    });
    this.queues.set(to, next);
    void next.then(() => {
      if (this.queues.get(to) === next) this.queues.delete(to);
    });
    return true;
  }

  /** The receiving end: delivered here, in arrival order (the delivery itself runs on). */
  receive(body: Uint8Array): void {
    const e = deserialize(body) as Partial<Envelope>;
    if (typeof e?.app !== 'string' || typeof e.key !== 'string' || typeof e.message !== 'object' || e.message === null) {
      throw new KeyTransferError('the body is not a serialised mailbox entry', 'only flick nodes call this endpoint', 400, 'bad_request');
    }
    this.counters.received++;
    void this.node.deliverHere(e.app, e.key, e.message);
  }
}

/**
 * Requests from the chaos run to the nodes' apps: one keep-alive client per node process and app
 * (a restarted node has a new port, so new clients), every wait bounded, every answer recorded in
 * the ledger with the release tag it carries.
 */
import { AppClient } from '../_http.js';
import { KEY_HEADER, parseAnswer, type VersionedApp } from './apps.js';
import type { ChaosCluster } from './cluster.js';
import type { Ledger, Sample } from './ledger.js';

/** No answer within this is a failure (a forward is bounded by the app's deadline + 5 s, a stuck scheduler by its 10 s watchdog). */
const ANSWER_TIMEOUT_MS = 30_000;
const CONNECTIONS = 8;

export class Clients {
  private readonly clients = new Map<string, AppClient>();

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly ledger: Ledger,
  ) {}

  /** One request for `app` (and `key`) through `node`; recorded. */
  async ask(node: string, app: VersionedApp, key: string | null, probe = false): Promise<Sample> {
    const sentAt = Date.now();
    const a = await this.client(node, app).get({ path: '/', headers: key === null ? {} : { [KEY_HEADER]: key } });
    const parsed = a.status === 200 ? parseAnswer(a.body.toString()) : null;
    const s: Sample = { app, key, node, sentAt, doneAt: Date.now(), status: a.status, code: a.error, tag: parsed?.tag ?? null, count: parsed?.count ?? null, probe };
    this.ledger.record(s);
    return s;
  }

  /** A plain request (the stall app), not recorded. */
  get(node: string, app: string) {
    return this.client(node, app).get({ path: '/' });
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close().catch(() => {})));
  }

  private client(node: string, app: string): AppClient {
    const id = `${this.cluster.node(node).url} ${app}`;
    let c = this.clients.get(id);
    if (!c) this.clients.set(id, (c = new AppClient(this.cluster.node(node).url, app, CONNECTIONS, ANSWER_TIMEOUT_MS)));
    return c;
  }
}

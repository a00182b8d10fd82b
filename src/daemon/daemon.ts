/**
 * One flick process: the store (embedded LMDB in the data directory), the blob store, the node
 * (scheduler threads), the ingress, the route sync between store and node, the deploy engine and
 * the control API. `Daemon.start` is what `flick up` runs.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_NODE_LIMITS, type NodeLimits } from '../image/limits.js';
import { openEmbeddedStore } from '../control/store/embedded/embedded-store.js';
import { openEtcdStore } from '../control/store/etcd/etcd-store.js';
import { Membership, type MemberInfo } from '../cluster/membership.js';
import { readTopology } from '../cluster/topology.js';
import { clusterMembers, clusterToken, fetchImageFromPeers, type ClusterOptions } from './cluster-link.js';
import { ClusterControl } from './cluster-control.js';
import { ClusterDataPath } from '../cluster/data-path.js';
import { settleInterruptedDeployments } from '../control/deploy/settle.js';
import { totalmem } from 'node:os';

import type { Store } from '../control/store/store.js';
import { BlobStore } from '../control/blob-store.js';
import { Registry } from '../control/registry.js';
import { DeployEngine } from '../control/deploy/engine.js';
import { FlickNode } from '../node/node.js';
import { Ingress, answerError, type IngressOptions } from '../ingress/server.js';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import { loadOrCreateToken } from './token.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { ReleaseLoader } from './release-loader.js';
import { RouteSync } from './route-sync.js';
import { ShadowTap } from './shadow-tap.js';
import { LocalTarget } from './local-target.js';
import { controlApi } from './api.js';
import { Telemetry, type TelemetryOptions } from '../telemetry/telemetry.js';
import { serveMetrics, telemetryRoutes } from '../telemetry/http.js';
import { overview } from '../dashboard/overview.js';
import { memberOverviewRoutes } from './member-overview.js';
import { DashboardServer, DASHBOARD_PATH } from '../dashboard/server.js';

/**
 * A node that has not renewed its membership for this long is out of the cluster. Lease expiry is
 * how a dead node is noticed, so this bounds failover: 3 s leaves room for the 5 s convergence
 * target (docs/decisions.md, "One elected placer").
 */
const MEMBERSHIP_TTL_MS = 3000;
/**
 * A node stops serving its per-key instances this long before its own lease deadline (which
 * itself comes before etcd's expiry): room for a late timer or a slow check on a loaded machine
 * (docs/decisions.md, "Fencing per-key instances").
 */
const FENCE_MARGIN_MS = 500;
/** How long one step of stopping may take before the node stops without it. */
const STOP_STEP_MS = 5000;

export interface DaemonOptions {
  host: string;
  port: number;
  dataDir: string;
  schedulers?: number;
  limits?: NodeLimits;
  /** Watchdog threshold for a stuck scheduler, ms. */
  stallMs?: number;
  /** Node log level and destination, OTLP trace export, log and trace buffer sizes. */
  telemetry?: TelemetryOptions;
  /** How often idle instances are looked for (hibernation), ms. */
  hibernateSweepMs?: number;
  /** Front-door limits: body and header sizes, per-app concurrency and queue. */
  ingress?: Partial<Omit<IngressOptions, 'host' | 'port'>>;
  /** Join a cluster through etcd instead of running alone on the embedded store. */
  cluster?: ClusterOptions;
}

export class Daemon {
  readonly url: string;
  /** Placer election, assignments and replica routing (cluster nodes only). */
  cluster: ClusterControl | null = null;
  /** Per-key requests, key moves and cross-node migration in a cluster (src/cluster/data-path.ts). */
  dataPath: ClusterDataPath | null = null;
  private constructor(
    readonly store: Store,
    readonly registry: Registry,
    readonly blobs: BlobStore,
    readonly node: FlickNode,
    readonly ingress: Ingress,
    readonly sync: RouteSync,
    readonly engine: DeployEngine,
    readonly token: string,
    readonly dataDir: string,
    port: number,
    host: string,
    readonly telemetry: Telemetry,
    private readonly lock: DataDirLock,
    readonly membership: Membership | null,
  ) {
    this.url = `http://${host}:${port}`;
  }

  static async start(opts: DaemonOptions): Promise<Daemon> {
    const dataDir = resolve(opts.dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const lock = lockDataDir(dataDir);
    try {
      return await Daemon.open(opts, dataDir, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  private static async open(opts: DaemonOptions, dataDir: string, lock: DataDirLock): Promise<Daemon> {
    const limits = opts.limits ?? DEFAULT_NODE_LIMITS;
    const cluster = opts.cluster;
    const store = cluster ? await openEtcdStore({ endpoints: cluster.etcd }) : await openEmbeddedStore({ dataDir: join(dataDir, 'store') });
    const token = cluster ? await clusterToken(store, dataDir, loadOrCreateToken(dataDir)) : loadOrCreateToken(dataDir);
    const startedAt = new Date().toISOString();
    // In a cluster each deployment names the node process running it, so that the placer can
    // settle it if that process dies; alone, one still "running" was cut off by this node's crash.
    const registry = new Registry(store, cluster ? { node: cluster.nodeName, startedAt } : undefined);
    if (!cluster) await settleInterruptedDeployments(registry);
    const blobs = new BlobStore(dataDir);
    const node = new FlickNode({ dataDir, schedulers: opts.schedulers, stallMs: opts.stallMs, hibernateSweepMs: opts.hibernateSweepMs, replicatedKv: cluster !== undefined });
    const tap = new ShadowTap((release, request) => node.probe(release, request));
    const telemetry = await Telemetry.start(node, store, opts.telemetry);
    const dashboard = new DashboardServer(token);
    const control = cluster ? new ClusterControl({ store, node, nodeName: cluster.nodeName, token, ttlMs: MEMBERSHIP_TTL_MS, log: telemetry.log }) : null;
    // Per-key apps in a cluster: served by the node holding the key (src/cluster/key-router.ts).
    const dataPath = cluster ? new ClusterDataPath(node, store, token, cluster.nodeName, telemetry.log, dataDir) : null;
    // Replica checkpoints from the other members are kept on the data path's shelf with per-key ones.
    // Messages, links and monitors to a replica on another node go to the node the placer gave it.
    if (control && dataPath) {
      control.keepCheckpointsOn(dataPath.checkpoints);
      dataPath.mailbox.replicaHost = (app, key) => control.replicaHostOf(app, key);
    }
    const keys = dataPath?.route({ dispatch: (app, request) => node.dispatch(app, request) });
    const dispatcher = telemetry.traced({
      async dispatch(app: string, request: GuestRequest): Promise<GuestResponse> {
        const response = await (keys?.handles(app) ? keys.dispatch(app, request) : control ? control.dispatch(app, request) : node.dispatch(app, request));
        tap.observe(app, request, response);
        return response;
      },
    });
    let api: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | null = null;
    const ingress = new Ingress(dispatcher, (req, res) => {
      void (async () => {
        if (api && (await api(req, res))) return;
        try {
          if ((await serveMetrics(telemetry, req, res)) || (await dashboard.serve(req, res))) return;
        } catch (e) {
          telemetry.log.error({ err: (e as Error).message, url: req.url }, 'serving a /_flick page failed');
          return answerError(res, 500, 'internal', `flick failed to serve ${req.url}: ${(e as Error).message}`, 'see the node logs');
        }
        answerError(res, 404, 'not_found', `nothing at ${req.url}`, 'the control API is under /_flick/api/');
      })();
    }, { ...opts.ingress, host: opts.host, port: opts.port });
    // WebSocket holder processes (src/ingress/ws-holder/): a dead one took its sockets with it and is restarted.
    ingress.websockets.holders?.on('exit', (e) => telemetry.log.error(e, `websocket holder ${e.index} (pid ${e.pid}) exited (${e.code ?? e.signal}): its ${e.connections} connections closed; restarting it in ${e.restartInMs} ms`));
    ingress.websockets.holders?.on('restart', (r) => telemetry.log.info(r, `websocket holder ${r.index} restarted (pid ${r.pid})`));
    ingress.websockets.holders?.on('failed', (e) => telemetry.log.error({ err: e.message }, 'websocket holders failed to start: WebSocket upgrades are answered 503'));
    const loader = new ReleaseLoader(registry, blobs, node, limits, cluster ? (id) => fetchImageFromPeers(store, cluster.nodeName, id, token) : null);
    const sync = new RouteSync(store, loader, node, ingress.routes);
    const local = new LocalTarget(node, loader, sync, tap);
    const engine = new DeployEngine(registry, blobs, control ? control.deployTarget(local) : local, limits);
    let self: MemberInfo | null = null;
    let lostLease: string | null = null;
    api = controlApi({
      token, registry, blobs, engine, node, sync, maxImageBytes: limits.maxImageBytes, extraRoutes: [
        ...telemetryRoutes({ telemetry, registry, node }),
        ...memberOverviewRoutes({ self: () => self?.name ?? 'local', members: async () => (cluster ? clusterMembers(store) : []), token, local: () => overview({ node, registry, telemetry }) }),
        ...(control?.routes() ?? []),
        ...(dataPath?.routes() ?? []),
      ],
      nodes: async () => (cluster ? clusterMembers(store) : self ? [self] : []),
      refuseChanges: () => lostLease,
    });
    await node.ready();
    await sync.start();
    await control?.start();
    await dataPath?.start();
    const addr = await ingress.listen();
    self = {
      name: cluster?.nodeName ?? 'local',
      address: cluster?.advertise ?? `http://${opts.host}:${addr.port}`,
      topology: readTopology(dataDir, { zone: cluster?.zone, rack: cluster?.rack }),
      capacity: { memoryBytes: totalmem(), schedulers: node.schedulers.length },
      startedAt,
    };
    const membership = cluster ? await Membership.join(store, self, { ttlMs: MEMBERSHIP_TTL_MS, fenceMarginMs: FENCE_MARGIN_MS }) : null;
    membership?.onLost(() => {
      lostLease = `node ${self!.name} lost its cluster lease (etcd unreachable for over ${MEMBERSHIP_TTL_MS / 1000} s): it cannot commit changes`;
      telemetry.log.error({ node: self!.name }, lostLease);
    });
    membership?.onJoined(() => {
      lostLease = null;
      telemetry.log.warn({ node: self!.name }, 'back in the cluster with a new lease');
    });
    if (membership) control!.joined(membership);
    if (membership) await dataPath!.attach(membership);
    const daemon = new Daemon(store, registry, blobs, node, ingress, sync, engine, token, dataDir, addr.port, opts.host, telemetry, lock, membership);
    daemon.cluster = control;
    daemon.dataPath = dataPath;
    telemetry.log.info({ url: daemon.url, dashboard: `${daemon.url}${DASHBOARD_PATH}`, metrics: `${daemon.url}/_flick/metrics` }, 'flick node listening');
    return daemon;
  }

  /**
   * Stops the node, step by step. Each step that talks to others (peers, etcd) gets a bounded
   * time: an unreachable etcd or a peer that stops at the same moment must not keep this node
   * from stopping (systemd, tests and `flick up`'s Ctrl-C all wait for it).
   */
  async stop(): Promise<void> {
    const step = (what: string, work: Promise<unknown> | undefined) => this.boundedStep(what, work);
    // Keys first, while this node is still a member: each goes live to its next owner.
    await step('moving keys away before leaving', this.dataPath?.drain());
    await step('stopping the placer', this.cluster?.stop());
    await step('leaving the cluster', this.membership?.leave());
    await step('closing the ingress', this.ingress.close());
    await step('closing the data path', this.dataPath?.close());
    await step('stopping route sync', this.sync.stop());
    await this.node.close();
    await this.telemetry.close();
    await step('closing the store', this.store.close());
    this.lock.release();
  }

  private async boundedStep(what: string, work: Promise<unknown> | undefined): Promise<void> {
    if (!work) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_STEP_MS)));
    try {
      const outcome = await Promise.race([work.then(() => 'done' as const), late]);
      if (outcome === 'late') this.telemetry.log.warn({ step: what }, `${what} took over ${STOP_STEP_MS} ms: stopping without it`);
    } catch (e) {
      this.telemetry.log.warn({ step: what, err: (e as Error).message }, `${what} failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

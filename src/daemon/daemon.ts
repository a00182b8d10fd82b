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
import { totalmem } from 'node:os';

/** A node that has not renewed its membership for this long is out of the cluster. */
const MEMBERSHIP_TTL_MS = 5000;
import type { Store } from '../control/store/store.js';
import { BlobStore } from '../control/blob-store.js';
import { Registry, type DeploymentRecord } from '../control/registry.js';
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
import { DashboardServer, DASHBOARD_PATH } from '../dashboard/server.js';

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
    const registry = new Registry(store);
    // Alone, a deployment still "running" was cut off by this node's crash. In a cluster it may be
    // another node's deploy in progress: settling those needs the deploying node's identity (not yet).
    if (!cluster) await settleInterruptedDeployments(registry);
    const blobs = new BlobStore(dataDir);
    const node = new FlickNode({ dataDir, schedulers: opts.schedulers, stallMs: opts.stallMs, hibernateSweepMs: opts.hibernateSweepMs });
    const tap = new ShadowTap((release, request) => node.probe(release, request));
    const telemetry = await Telemetry.start(node, store, opts.telemetry);
    const dashboard = new DashboardServer(token);
    const dispatcher = telemetry.traced({
      async dispatch(app: string, request: GuestRequest): Promise<GuestResponse> {
        const response = await node.dispatch(app, request);
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
    const loader = new ReleaseLoader(registry, blobs, node, limits, cluster ? (id) => fetchImageFromPeers(store, cluster.nodeName, id, token) : null);
    const sync = new RouteSync(store, loader, node, ingress.routes);
    const engine = new DeployEngine(registry, blobs, new LocalTarget(node, loader, sync, tap), limits);
    let self: MemberInfo | null = null;
    let lostLease: string | null = null;
    api = controlApi({
      token, registry, blobs, engine, node, sync, maxImageBytes: limits.maxImageBytes, extraRoutes: telemetryRoutes({ telemetry, registry, node }),
      nodes: async () => (cluster ? clusterMembers(store) : self ? [self] : []),
      refuseChanges: () => lostLease,
    });
    await node.ready();
    await sync.start();
    const addr = await ingress.listen();
    self = {
      name: cluster?.nodeName ?? 'local',
      address: cluster?.advertise ?? `http://${opts.host}:${addr.port}`,
      topology: readTopology(dataDir, { zone: cluster?.zone, rack: cluster?.rack }),
      capacity: { memoryBytes: totalmem(), schedulers: node.schedulers.length },
      startedAt: new Date().toISOString(),
    };
    const membership = cluster ? await Membership.join(store, self, { ttlMs: MEMBERSHIP_TTL_MS }) : null;
    membership?.onLost(() => {
      lostLease = `node ${self!.name} lost its cluster lease (etcd unreachable for over ${MEMBERSHIP_TTL_MS / 1000} s): it cannot commit changes`;
      telemetry.log.error({ node: self!.name }, lostLease);
    });
    const daemon = new Daemon(store, registry, blobs, node, ingress, sync, engine, token, dataDir, addr.port, opts.host, telemetry, lock, membership);
    telemetry.log.info({ url: daemon.url, dashboard: `${daemon.url}${DASHBOARD_PATH}`, metrics: `${daemon.url}/_flick/metrics` }, 'flick node listening');
    return daemon;
  }

  async stop(): Promise<void> {
    await this.membership?.leave().catch(() => {});
    await this.ingress.close();
    await this.sync.stop();
    await this.node.close();
    await this.telemetry.close();
    await this.store.close();
    this.lock.release();
  }
}

/**
 * A deployment still "running" in the store was cut off by a crash. The switch writes the route and
 * the deployment record in one transaction, so the route tells which side of the switch the crash
 * fell on: the history is corrected to say so.
 */
async function settleInterruptedDeployments(registry: Registry): Promise<void> {
  for (const app of await registry.apps({ withoutRoute: true })) {
    const route = await registry.route(app);
    for (const d of await registry.deployments(app)) {
      if (d.status !== 'running') continue;
      const switched = route?.record.deployment === d.id;
      const settled: DeploymentRecord = {
        ...d,
        status: switched ? 'succeeded' : 'failed',
        reason: switched ? undefined : 'interrupted by a restart of the node before its switch; the previous release kept serving',
        finishedAt: new Date().toISOString(),
      };
      await registry.saveDeployment(settled);
    }
  }
}

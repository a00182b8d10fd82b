/**
 * Everything that makes a node observable, wired to it in one place: metrics, live rates, the
 * node's own JSON logs, instances' log lines, request traces (and their OTLP export) and the
 * deploy watch. The daemon creates one per node and routes requests through `traced`.
 */
import type { DestinationStream } from 'pino';
import type { Store } from '../control/store/store.js';
import type { DeploymentRecord } from '../control/registry.js';
import type { Dispatcher } from '../ingress/server.js';
import type { FlickNode, NodeEvents } from '../node/node.js';
import type { InstanceRecord } from '../node/instance-table.js';
import type { LogLine } from '../node/scheduler/protocol.js';
import { NodeMetrics } from './metrics.js';
import { LogThrottle } from './log-throttle.js';
import { LiveStats } from './live-stats.js';
import { LogBuffer, DEFAULT_LOG_LIMITS, type LogLimits } from './log-buffer.js';
import { createNodeLogger, levelFromEnv, LOG_LEVELS, type NodeLogger, type NodeLogLevel } from './node-logger.js';
import { TraceBuffer, type RequestTrace } from './traces.js';
import { RequestTracer } from './tracer.js';
import { OtlpExporter } from './otlp.js';
import { DeployWatch } from './deploy-watch.js';

export interface TelemetryOptions {
  /** The node's own log level (default FLICK_LOG_LEVEL, else info; tests use silent). */
  logLevel?: NodeLogLevel;
  /** Where the node's JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** An OTLP/HTTP collector to send traces to, e.g. http://127.0.0.1:4318 (default FLICK_OTLP_ENDPOINT). */
  otlpEndpoint?: string;
  logLimits?: LogLimits;
  /** Recent traces kept for the API and dashboard. */
  traceCapacity?: number;
}

type InstanceEvent = NodeEvents['instance'][0];

export class Telemetry {
  readonly log: NodeLogger;
  readonly metrics: NodeMetrics;
  readonly live: LiveStats;
  readonly logs: LogBuffer;
  readonly traces: TraceBuffer;
  readonly otlp: OtlpExporter | null;
  readonly deploys: DeployWatch;
  readonly startedAt = Date.now();
  private readonly tracer: RequestTracer;

  private constructor(
    private readonly node: FlickNode,
    store: Store,
    opts: TelemetryOptions,
  ) {
    const fromEnv = levelFromEnv('info');
    this.log = createNodeLogger(opts.logLevel ?? fromEnv.level, opts.logDestination);
    if (!opts.logLevel && fromEnv.unknown) this.log.warn(`FLICK_LOG_LEVEL=${fromEnv.unknown} is not a level; logging at ${fromEnv.level} (use one of ${LOG_LEVELS.join(', ')})`);
    const otlpEndpoint = opts.otlpEndpoint ?? process.env.FLICK_OTLP_ENDPOINT;
    this.metrics = new NodeMetrics(node);
    this.live = new LiveStats(node);
    this.logs = new LogBuffer(opts.logLimits ?? DEFAULT_LOG_LIMITS);
    this.traces = new TraceBuffer(opts.traceCapacity ?? 1000);
    this.otlp = otlpEndpoint ? new OtlpExporter({ endpoint: otlpEndpoint }, this.log) : null;
    this.tracer = new RequestTracer(node, (t) => this.traceFinished(t));
    this.deploys = new DeployWatch(store, {
      phaseFinished: (d, p) => {
        this.metrics.observePhase(p.name, p.status, p.ms);
        this.log.info({ deployment: d.id, app: d.app, kind: d.kind, phase: p.name, status: p.status, ms: p.ms, detail: p.detail }, `${d.kind} ${d.app}: ${p.name} ${p.status}`);
      },
      deploymentFinished: (d) => this.deploymentFinished(d),
    });
    node.on('request', (ev) => {
      this.metrics.observeRequest(ev);
      this.live.observe(ev);
    });
    node.on('log', (line) => this.instanceLog(line));
    node.on('instance', (event, rec) => this.instanceEvent(event, rec));
    for (const s of node.schedulers) s.on('replaced', (reason) => this.log.error({ scheduler: s.index, reason }, `scheduler ${s.index} replaced`));
  }

  static async start(node: FlickNode, store: Store, opts: TelemetryOptions = {}): Promise<Telemetry> {
    const t = new Telemetry(node, store, opts);
    await t.deploys.start();
    if (t.otlp) t.log.info({ url: t.otlp.url }, 'exporting traces over OTLP/HTTP');
    return t;
  }

  /** The dispatcher ingress should call: `inner` with every request traced. */
  traced(inner: Dispatcher): Dispatcher {
    return this.tracer.wrap(inner);
  }

  async close(): Promise<void> {
    this.tracer.close();
    this.live.close();
    await this.deploys.stop();
    await this.otlp?.close();
    this.log.flush();
  }

  /** One line per second per (app, error) at most: see log-throttle.ts. */
  private readonly failureLogs = new LogThrottle();

  private traceFinished(t: RequestTrace): void {
    this.traces.add(t);
    this.otlp?.add(t);
    const failed = t.status >= 500;
    if (!failed && !this.log.isLevelEnabled('debug')) return;
    const ev = t.event;
    const fields = {
      reqId: t.spanId, traceId: t.traceId, app: t.app, release: ev?.release, instance: ev?.instance ?? undefined,
      method: t.method, url: t.url, status: t.status, error: ev?.error ?? undefined, ms: Math.round((t.end - t.start) * 1000) / 1000,
    };
    if (!failed) return this.log.debug(fields, `${t.method} ${t.url} ${t.status}`);
    const leftOut = this.failureLogs.admit(`${t.app}\0${fields.error ?? t.status}`);
    if (leftOut < 0) return;
    this.log.warn(leftOut > 0 ? { ...fields, leftOut } : fields, `${t.method} ${t.url} failed with ${t.status}${leftOut > 0 ? ` (and ${leftOut} more like it since the last line)` : ''}`);
  }

  private instanceLog(line: LogLine): void {
    const app = this.node.releases.get(line.release)?.app ?? line.release.slice(0, line.release.lastIndexOf('@'));
    this.logs.add(app, line);
  }

  private instanceEvent(event: InstanceEvent, rec: InstanceRecord): void {
    const fields = { app: rec.app, release: rec.release, instance: rec.id, scheduler: rec.scheduler, restarts: rec.restarts };
    if (event === 'crash' || event === 'lost') this.log.warn(fields, `instance ${rec.id} ${event === 'crash' ? 'crashed' : 'was lost with its scheduler'}; it restarts on its next request`);
    else if (event === 'migrate') this.log.info(fields, `instance ${rec.id} moved to ${rec.movedTo !== undefined ? `node ${rec.movedTo}` : `scheduler ${rec.scheduler}`}`);
    else this.log.debug(fields, `instance ${rec.id} ${event}`);
  }

  private deploymentFinished(d: DeploymentRecord): void {
    const outcome = d.status === 'succeeded' ? 'succeeded' : 'failed';
    this.metrics.observeDeployment(d.kind, outcome);
    const fields = { deployment: d.id, app: d.app, kind: d.kind, from: d.from, to: d.to, reason: d.reason };
    if (outcome === 'succeeded') this.log.info(fields, `${d.kind} of ${d.app} succeeded: release ${d.from ?? '-'} → ${d.to}`);
    else this.log.warn(fields, `${d.kind} of ${d.app} failed: ${d.reason ?? 'no reason recorded'}`);
  }
}

/**
 * The node's Prometheus metrics on a registry this node owns (not prom-client's global one, so
 * two nodes in one process, as in tests, do not mix). Requests are counted as they finish, through
 * per-release label children looked up once; everything the node already keeps (its counters, the
 * instance table, scheduler state) is read at scrape time, costing the request path nothing.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FlickNode, RequestEvent } from '../node/node.js';
import type { InstanceRecord } from '../node/instance-table.js';

/** Per-instance series are capped: a node with 100k instances should not answer 100k-line scrapes. */
export const MAX_INSTANCE_SERIES = 1000;

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const PHASE_BUCKETS_S = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60];

interface ReleaseSeries {
  requests: Counter.Internal;
  latency: Histogram.Internal<'app' | 'release'>;
}

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'app' | 'release'>;
  private readonly errors: Counter<'app' | 'release' | 'code'>;
  private readonly latency: Histogram<'app' | 'release'>;
  private readonly schedulerBusy: Counter<'scheduler'>;
  private readonly schedulerReplacements: Counter<'scheduler'>;
  private readonly deployPhases: Counter<'phase' | 'outcome'>;
  private readonly deployPhaseSeconds: Histogram<'phase'>;
  private readonly deployments: Counter<'kind' | 'outcome'>;
  private readonly byRelease = new Map<string, ReleaseSeries>();

  constructor(private readonly node: FlickNode) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'flick_requests_total', help: 'Requests served by the node, per app and release', labelNames: ['app', 'release'], registers });
    this.errors = new Counter({ name: 'flick_request_errors_total', help: 'Requests the node failed, per app, release and error code', labelNames: ['app', 'release', 'code'], registers });
    this.latency = new Histogram({ name: 'flick_request_duration_seconds', help: 'Time from the node taking a request to its answer', labelNames: ['app', 'release'], buckets: LATENCY_BUCKETS_S, registers });
    this.schedulerBusy = new Counter({ name: 'flick_scheduler_busy_seconds_total', help: 'Time each scheduler thread spent running calls (its load)', labelNames: ['scheduler'], registers });
    this.schedulerReplacements = new Counter({ name: 'flick_scheduler_replacements_total', help: 'Scheduler threads replaced after dying or stalling', labelNames: ['scheduler'], registers });
    this.deployPhases = new Counter({ name: 'flick_deploy_phases_total', help: 'Deploy and rollback phases finished, per phase and outcome', labelNames: ['phase', 'outcome'], registers });
    this.deployPhaseSeconds = new Histogram({ name: 'flick_deploy_phase_duration_seconds', help: 'How long each deploy phase took', labelNames: ['phase'], buckets: PHASE_BUCKETS_S, registers });
    this.deployments = new Counter({ name: 'flick_deployments_total', help: 'Deployments finished, per kind (deploy, rollback) and outcome', labelNames: ['kind', 'outcome'], registers });

    const counters = node.counters;
    mirroredCounter(this.registry, 'flick_spawns_total', 'Instances started (per-request calls included)', () => counters.spawns);
    mirroredCounter(this.registry, 'flick_hibernations_total', 'Instances snapshotted to disk and freed', () => counters.hibernations);
    mirroredCounter(this.registry, 'flick_wakes_total', 'Hibernated instances restored by a request', () => counters.wakes);
    mirroredCounter(this.registry, 'flick_migrations_total', 'Live instances moved between schedulers', () => counters.migrations);
    mirroredCounter(this.registry, 'flick_restarts_total', 'Instances restarted after a crash or a lost scheduler', () => counters.restarts);
    const messaging = node.processes.counters;
    mirroredCounter(this.registry, 'flick_messages_sent_total', 'Messages instances sent to each other', () => messaging.sent);
    mirroredCounter(this.registry, 'flick_mailbox_deliveries_total', 'Mailbox entries (messages, EXIT, DOWN) handed to flick_message', () => messaging.delivered);
    mirroredCounter(this.registry, 'flick_messages_dropped_total', 'Messages dropped because the receiver had a full mailbox', () => messaging.dropped);
    mirroredCounter(this.registry, 'flick_instances_killed_total', 'Instances ended by an exit signal (a link, msg_exit)', () => messaging.killed);

    new Gauge({
      name: 'flick_scheduler_outstanding_calls', help: 'Calls sent to each scheduler and not yet answered', labelNames: ['scheduler'], registers,
      collect() {
        for (const s of node.schedulers) this.set({ scheduler: String(s.index) }, s.outstanding);
      },
    });
    this.instanceGauges(registers);
    for (const s of node.schedulers) {
      this.schedulerBusy.inc({ scheduler: String(s.index) }, 0);
      this.schedulerReplacements.inc({ scheduler: String(s.index) }, 0);
      s.on('replaced', () => this.schedulerReplacements.inc({ scheduler: String(s.index) }));
    }
  }

  observeRequest(ev: RequestEvent): void {
    let series = this.byRelease.get(ev.release);
    if (!series) {
      const labels = { app: ev.app, release: ev.release };
      series = { requests: this.requests.labels(labels), latency: this.latency.labels(labels) };
      this.byRelease.set(ev.release, series);
    }
    series.requests.inc();
    series.latency.observe(ev.durationMs / 1000);
    if (ev.error !== null) this.errors.inc({ app: ev.app, release: ev.release, code: ev.error });
    if (ev.scheduler >= 0 && ev.schedulerUs > 0) this.schedulerBusy.inc({ scheduler: String(ev.scheduler) }, ev.schedulerUs / 1e6);
  }

  observePhase(phase: string, outcome: string, ms: number): void {
    this.deployPhases.inc({ phase, outcome });
    this.deployPhaseSeconds.observe({ phase }, ms / 1000);
  }

  observeDeployment(kind: string, outcome: string): void {
    this.deployments.inc({ kind, outcome });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Per-instance gauges and per-app totals, rebuilt from the instance table at each scrape. */
  private instanceGauges(registers: Registry[]): void {
    const labelNames = ['app', 'release', 'instance'] as const;
    // One collect fills them all, on the first of them to be read: the table is walked once per scrape.
    const cpu = new Gauge({ name: 'flick_instance_cpu_fuel', help: 'Fuel (metered wasm work) an instance has used', labelNames, registers, collect: () => fill() });
    const memory = new Gauge({ name: 'flick_instance_memory_bytes', help: 'Linear memory of an instance', labelNames, registers });
    const restarts = new Gauge({ name: 'flick_instance_restarts', help: 'Times an instance was restarted', labelNames, registers });
    const requests = new Gauge({ name: 'flick_instance_requests', help: 'Requests an instance has served', labelNames, registers });
    const count = new Gauge({ name: 'flick_instances', help: 'Instances known to the node, per app and state', labelNames: ['app', 'state'], registers });
    const appMemory = new Gauge({ name: 'flick_app_memory_bytes', help: 'Linear memory of all of an app\'s running instances', labelNames: ['app'], registers });
    const fill = () => {
      for (const g of [cpu, memory, restarts, requests, count, appMemory]) g.reset();
      let n = 0;
      for (const rec of this.node.table.all()) {
        count.inc({ app: rec.app, state: rec.status });
        if (rec.status === 'running') appMemory.inc({ app: rec.app }, rec.memoryBytes);
        if (n++ < MAX_INSTANCE_SERIES) setInstance(rec, { cpu, memory, restarts, requests });
      }
    };
  }
}

function setInstance(rec: InstanceRecord, g: Record<'cpu' | 'memory' | 'restarts' | 'requests', Gauge<'app' | 'release' | 'instance'>>): void {
  const labels = { app: rec.app, release: rec.release, instance: rec.id };
  g.cpu.set(labels, rec.cpuUsed);
  g.memory.set(labels, rec.memoryBytes);
  g.restarts.set(labels, rec.restarts);
  g.requests.set(labels, rec.requests);
}

/** A Prometheus counter that follows a number the node already counts, read at scrape time. */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  const counter: Counter = new Counter({
    name, help, registers: [registry],
    collect() {
      const now = read();
      if (now > seen) counter.inc(now - seen);
      seen = now;
    },
  });
}

/**
 * A replicas app's pool is an OTP supervisor (src/supervisor/): one static child per replica
 * (`#0`, `#1`, …), permanent, under the strategy and restart intensity of the manifest's
 * `instances.supervision`. Each child is the replica's process (instance-processes.ts): when a
 * replica crashes, the supervisor starts it again at once (from its last snapshot when it has
 * one) and counts the restart; one_for_all / rest_for_one restart its siblings as OTP does. Past
 * the intensity the supervisor gives up, and the pool is failed: the app's requests are refused
 * with the reason until a deploy or a `flick scale` starts a new pool.
 */
import { Supervisor, formatExitReason, type ChildHandle, type ChildSpec, type SupervisorReport } from '../supervisor/index.js';
import type { PoolSupervision } from '../image/manifest.js';
import { KeyedSerial } from '../keyed-serial.js';

export interface ReplicaHost {
  /** Starts replica `key` of `app` (its instance and process) and returns its process. */
  startReplica(app: string, key: string): Promise<ChildHandle>;
  /** Supervisor reports (restarts, give-ups) for the logs. */
  report(app: string, report: SupervisorReport): void;
}

const SHUTDOWN_MS = 1000;

interface Pool {
  supervisor: Supervisor | null;
  /** The replicas (indices) it supervises, in start order. */
  replicas: number[];
  /** Why the supervisor gave up or could not start; null while it runs. */
  failure: string | null;
}

export class ReplicaPools {
  private readonly pools = new Map<string, Pool>();
  /** Changes apply in order per app: a scale arriving while the pool starts waits for it. */
  private readonly changes = new KeyedSerial();

  constructor(private readonly host: ReplicaHost) {}

  /** Why the app's pool is failed, or null when it serves (or has no pool). */
  failure(app: string): string | null {
    return this.pools.get(app)?.failure ?? null;
  }

  /**
   * Makes the app's pool supervise exactly `replicas` (indices: all of the pool alone, this node's
   * share in a cluster): starts a supervisor when there is none or the last one gave up, else
   * adds children and removes others (removed ones end with `shutdown`).
   */
  ensure(app: string, replicas: readonly number[], supervision: PoolSupervision): Promise<void> {
    return this.changes.run(app, async () => {
      const pool = this.pools.get(app);
      if (!pool?.supervisor || pool.failure !== null) return this.start(app, [...replicas], supervision);
      const wanted = new Set(replicas);
      for (const i of [...pool.replicas].reverse()) {
        if (wanted.has(i)) continue;
        await pool.supervisor.terminateChild(`#${i}`);
        await pool.supervisor.deleteChild(`#${i}`);
      }
      const kept = pool.replicas.filter((i) => wanted.has(i));
      for (const i of replicas) {
        if (kept.includes(i)) continue;
        await pool.supervisor.startChild(this.childSpec(app, i));
        kept.push(i);
      }
      pool.replicas = kept;
    });
  }

  /** Stops the pool: its replicas end with `shutdown`, newest first. */
  stop(app: string): Promise<void> {
    return this.changes.run(app, async () => {
      const pool = this.pools.get(app);
      this.pools.delete(app);
      if (pool?.supervisor && pool.failure === null) await pool.supervisor.stop('shutdown');
    });
  }

  private async start(app: string, replicas: number[], s: PoolSupervision): Promise<void> {
    let gaveUp: string | null = null;
    const pool: Pool = { supervisor: null, replicas, failure: null };
    this.pools.set(app, pool);
    try {
      pool.supervisor = await Supervisor.start(
        { strategy: s.strategy, intensity: s.intensity, period: s.periodS, children: replicas.map((i) => this.childSpec(app, i)) },
        {
          name: `pool:${app}`,
          onReport: (r) => {
            if (r.kind === 'reached_max_restart_intensity') gaveUp = `replica ${r.childId} of '${app}' ended more than ${s.intensity} times in ${s.periodS} s`;
            this.host.report(app, r);
          },
        },
      );
    } catch (e) {
      pool.failure = `the pool of '${app}' could not start: ${(e as Error).message}`;
      throw e;
    }
    pool.supervisor.onExit((reason) => {
      if (this.pools.get(app) === pool) pool.failure = gaveUp ?? `the pool's supervisor ended: ${formatExitReason(reason)}`;
    });
  }

  private childSpec(app: string, i: number): ChildSpec {
    const key = `#${i}`;
    // `shutdown` ends a replica at once unless it traps exits; one that does gets a second to end itself.
    return { id: key, start: () => this.host.startReplica(app, key), restart: 'permanent', shutdown: SHUTDOWN_MS };
  }

}

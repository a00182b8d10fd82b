/**
 * Follows deployment records in the store, whoever started them (CLI, dashboard, `flick up
 * --demo`, another node): each phase that finishes is counted and timed once, each deployment's
 * end is counted and logged, and the deployments still running are kept for live views.
 */
import type { Store, Watch } from '../control/store/store.js';
import { ROOT, decodeRecord, parseKey, type DeploymentRecord } from '../control/registry.js';

export interface DeployObserver {
  phaseFinished(d: DeploymentRecord, phase: DeploymentRecord['phases'][number]): void;
  deploymentFinished(d: DeploymentRecord): void;
}

export class DeployWatch {
  /** Running deployments by id, as last written. */
  readonly running = new Map<string, DeploymentRecord>();
  /** Phases already reported, per running deployment: a record is rewritten many times. */
  private readonly reported = new Map<string, number>();
  private watch: Watch | null = null;

  constructor(
    private readonly store: Store,
    private readonly observer: DeployObserver,
  ) {}

  async start(): Promise<void> {
    this.watch = await this.store.watch(ROOT);
    void this.follow(this.watch);
  }

  async stop(): Promise<void> {
    await this.watch?.close();
  }

  private async follow(watch: Watch): Promise<void> {
    try {
      for await (const ev of watch) {
        if (ev.type !== 'put' || parseKey(ev.key)?.kind !== 'deploy') continue;
        this.update(decodeRecord<DeploymentRecord>(ev));
      }
    } catch {
      // The store closed under the watch: the node is stopping.
    }
  }

  private update(d: DeploymentRecord): void {
    let done = this.reported.get(d.id) ?? 0;
    // The newest phase of a running deployment may still change (the switch is written as "ok"
    // inside its own transaction, before its time is known): it counts once a later one starts.
    const settled = d.status === 'running' ? d.phases.length - 1 : d.phases.length;
    for (; done < settled; done++) {
      const p = d.phases[done];
      if (p.name !== 'done') this.observer.phaseFinished(d, p);
    }
    if (d.status === 'running') {
      this.running.set(d.id, d);
      this.reported.set(d.id, done);
      return;
    }
    this.running.delete(d.id);
    this.reported.delete(d.id);
    this.observer.deploymentFinished(d);
  }
}

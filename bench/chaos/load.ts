/**
 * Steady client load during a chaos run: one loop per key of the per-key counter (so each key's
 * answers come in the order they were sent, and its count must go up one by one) and a few loops
 * on the replicas app, each request through a live node picked at random.
 */
import { POOL, TALLY } from './apps.js';
import type { ChaosCluster } from './cluster.js';
import type { Clients } from './clients.js';

export const LOAD_KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
const POOL_LOOPS = 3;
/** Pause between one loop's requests: enough load to see failures, little enough for a 2-core machine. */
const PAUSE_MS = 20;
const PAUSE_AFTER_FAILURE_MS = 100;

export class ClientLoad {
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly clients: Clients,
  ) {
    this.loops = [...LOAD_KEYS.map((k) => this.loop(k)), ...Array.from({ length: POOL_LOOPS }, () => this.loop(null))];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(key: string | null): Promise<void> {
    while (this.running) {
      const live = this.cluster.live();
      if (live.length === 0) {
        await pause(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      const node = live[Math.floor(Math.random() * live.length)]; // load need not be reproducible; faults are
      const s = await this.clients.ask(node, key === null ? POOL : TALLY, key);
      await pause(s.status === 200 ? PAUSE_MS : PAUSE_AFTER_FAILURE_MS);
    }
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

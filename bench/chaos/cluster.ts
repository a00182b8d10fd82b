/**
 * The chaos run's cluster: one real etcd (test/support/etcd.ts: pause = SIGSTOP) and three
 * `flick up --etcd URL --node-name N --port 0` processes in zones a, b, c (bench/_node-process.ts),
 * each killable with kill -9 and restartable from its data directory under its name.
 */
import { join } from 'node:path';
import { startEtcd, type EtcdServer } from '../../test/support/etcd.js';
import { NodeProcess } from '../_node-process.js';
import { progress } from '../_harness.js';

const ZONES: Record<string, string> = { n1: 'a', n2: 'b', n3: 'c' };
export const NODE_NAMES = Object.keys(ZONES);

export class ChaosCluster {
  /** The current process of each node; a killed node keeps its entry (not alive) until restarted. */
  private readonly nodes = new Map<string, NodeProcess>();

  private constructor(
    readonly etcd: EtcdServer,
    /** Where each node's log goes (NAME.log, appended across restarts); none when null. */
    private readonly logDir: string | null,
  ) {}

  static async start(logDir: string | null): Promise<ChaosCluster> {
    const cluster = new ChaosCluster(await startEtcd(), logDir);
    // One after the other: three processes loading at once starve each other on a small machine.
    for (const name of NODE_NAMES) await cluster.launch(name);
    return cluster;
  }

  node(name: string): NodeProcess {
    return this.nodes.get(name)!;
  }

  /** Names of the nodes whose process runs. */
  live(): string[] {
    return NODE_NAMES.filter((n) => this.nodes.get(n)?.alive);
  }

  isLive(name: string): boolean {
    return this.nodes.get(name)?.alive ?? false;
  }

  /** kill -9: no goodbye; its membership lease has to expire. */
  kill(name: string): Promise<void> {
    return this.node(name).kill();
  }

  /** Starts the node again under its name, from its data directory. */
  restart(name: string): Promise<NodeProcess> {
    return this.launch(name, this.node(name).dataDir);
  }

  async stop(): Promise<void> {
    for (const n of this.nodes.values()) await n.stop().catch(() => {});
    await this.etcd.stop();
  }

  private async launch(name: string, dataDir?: string): Promise<NodeProcess> {
    const t0 = Date.now();
    const node = await NodeProcess.start({ cluster: { etcd: this.etcd.endpoint, name, zone: ZONES[name] }, ...(dataDir ? { dataDir } : {}), ...(this.logDir ? { logFile: join(this.logDir, `${name}.log`) } : {}) });
    this.nodes.set(name, node);
    progress(`chaos: ${name} up at ${node.url} in ${Date.now() - t0} ms`);
    return node;
  }
}

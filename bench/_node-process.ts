/**
 * A real flick node for the end-to-end benchmarks: `flick up --port 0` in a child process with a
 * temporary data directory, the same way an operator starts it. The bench talks to it over
 * loopback only: apps through ingress, changes through the control API with the node's token.
 * The child is killed if the bench exits early, so no node outlives its benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { installRoot } from '../src/host/install-root.js';
import type { MigrationTiming } from '../src/node/node.js';
import { INSTANCE_HOST_FLAGS } from '../src/host/v8-flags.js';
import { ApiClient } from '../src/cli/client.js';
import { blobId } from '../src/control/blob-store.js';
import type { DeploymentRecord } from '../src/control/registry.js';
import type { InstanceView } from '../src/node/instance-table.js';

const READY = /^flick ready (http:\/\/\S+)$/;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface NodeStartOptions {
  /** Deploy the example apps (hello, counter, kv). */
  demo?: boolean;
  schedulers?: number;
  /** Join a cluster: etcd client URL, this node's name, and its zone label. */
  cluster?: { etcd: string; name: string; zone?: string };
  /** Reuse a data directory (a node restarted after a kill -9); by default a new temporary one. */
  dataDir?: string;
  /** Append the node's output (its JSON log lines and messages) to this file, e.g. to look into a chaos run afterwards. */
  logFile?: string;
}

/** `FLICK_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR"`: Node flags for the node under test (to profile it, say). */
function extraNodeFlags(): string[] {
  return process.env.FLICK_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
}

export class NodeProcess {
  readonly api: ApiClient;
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
    readonly dataDir: string,
  ) {
    this.api = new ApiClient({ server: url, token: readFileSync(join(dataDir, 'token'), 'utf8').trim(), data: dataDir });
  }

  static async start(opts: NodeStartOptions = {}): Promise<NodeProcess> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flick-bench-'));
    const args = [...INSTANCE_HOST_FLAGS, ...extraNodeFlags(), join(installRoot, 'packages', 'flick-cli', 'flick.mjs'), 'up', '--port', '0', '--data', dataDir];
    if (opts.demo) args.push('--demo');
    if (opts.schedulers !== undefined) args.push('--schedulers', String(opts.schedulers));
    if (opts.cluster) args.push('--etcd', opts.cluster.etcd, '--node-name', opts.cluster.name, ...(opts.cluster.zone ? ['--zone', opts.cluster.zone] : []));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    killOnExit(child);
    const stderr: string[] = [];
    child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
    if (opts.logFile) {
      const file = createWriteStream(opts.logFile, { flags: 'a' });
      child.stdout!.pipe(file, { end: false });
      child.stderr!.pipe(file, { end: false });
      child.once('close', () => file.end());
    }
    try {
      const url = await readyUrl(child, () => stderr.join(''));
      return new NodeProcess(child, url, Number(new URL(url).port), dataDir);
    } catch (e) {
      child.kill('SIGKILL');
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** True while the node process runs (the hostile-neighbour checks need it to stay up). */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Uploads an image (unless the node has it) and deploys it; returns the finished deployment record. */
  async deploy(bytes: Uint8Array): Promise<DeploymentRecord> {
    const id = blobId(bytes);
    const head = await this.api.request('HEAD', `/images/${id}`);
    if (head.status !== 200) await this.api.request('PUT', `/images/${id}`, bytes);
    return this.api.json<DeploymentRecord>('POST', '/deployments', { image: id });
  }

  rollback(app: string): Promise<DeploymentRecord> {
    return this.api.json<DeploymentRecord>('POST', `/apps/${encodeURIComponent(app)}/rollback`);
  }

  instances(): Promise<InstanceView[]> {
    return this.api.json<InstanceView[]>('GET', '/instances');
  }

  migrate(instance: string, to: number): Promise<MigrationTiming> {
    return this.api.json<MigrationTiming>('POST', `/instances/${encodeURIComponent(instance)}/migrate`, { to });
  }

  /** Moves a per-key instance to another node of the cluster (flick migrate INSTANCE --to NODE). */
  move(instance: string, node: string): Promise<{ pauseMs: number; node: string; instance: string }> {
    return this.api.json('POST', `/instances/${encodeURIComponent(instance)}/move`, { node });
  }

  /** SIGKILL, as a crash: nothing is closed or handed over (the data directory stays until stop). */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (the node closes cleanly), SIGKILL if it does not exit in time; the data directory goes too. */
  async stop(): Promise<void> {
    if (this.alive) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Starts a node, runs `body`, and stops the node whatever happens. */
export async function withNode<T>(opts: NodeStartOptions, body: (node: NodeProcess) => Promise<T>): Promise<T> {
  const node = await NodeProcess.start(opts);
  try {
    return await body(node);
  } finally {
    await node.stop();
  }
}

function readyUrl(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flick up printed no ready line within ${START_TIMEOUT_MS} ms:\n${stderr()}`)), START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = READY.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve(m[1]);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`flick up exited (${code ?? signal}) before it was ready:\n${stderr()}`));
    });
  });
}

let exitOnSignal = false;

/** Child processes of a bench die with it, even when it throws or is interrupted (Ctrl-C). */
export function killOnExit(child: ChildProcess): void {
  if (!exitOnSignal) {
    exitOnSignal = true;
    // 'exit' listeners do not run on a signal's default action: exit properly so they do.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  }
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
}

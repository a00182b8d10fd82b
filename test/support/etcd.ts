/**
 * A real, single-member etcd server for tests: Debian's `etcd-server` on free loopback ports with
 * a throw-away data directory. Cluster and chaos tests reuse it (pause = SIGSTOP, restart keeps
 * the data). Every wait is bounded, and the server is killed when the test process exits, so a
 * failing test never leaves an etcd behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly dataDir: string;
  /** SIGSTOP: the process stays, answers nothing (a hung or partitioned server). */
  pause(): void;
  resume(): void;
  /** Stop and start again on the same ports and data; `hard` kills with SIGKILL first. */
  restart(options?: { hard?: boolean }): Promise<void>;
  /** Stop the server and delete its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

const ETCD_BINARY = '/usr/bin/etcd';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;

export async function startEtcd(): Promise<EtcdServer> {
  ensureInstalled();
  const dataDir = mkdtempSync(join(tmpdir(), 'flick-etcd-'));
  // Ports are picked free and then bound by etcd; another process can win the race in between,
  // so a start that fails early is retried on new ports.
  for (let attempt = 1; ; attempt++) {
    const [clientPort, peerPort] = await Promise.all([freePort(), freePort()]);
    const server = new RunningEtcd(dataDir, clientPort, peerPort);
    try {
      await server.start();
      return server;
    } catch (e) {
      await server.kill();
      if (attempt >= 3) {
        rmSync(dataDir, { recursive: true, force: true });
        throw e;
      }
    }
  }
}

function ensureInstalled(): void {
  const r = spawnSync('bash', ['scripts/install-system-deps.sh', 'etcd'], { stdio: 'inherit', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`scripts/install-system-deps.sh etcd failed (status ${r.status})`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Servers of this process that are still running, killed on exit whatever happened. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

class RunningEtcd implements EtcdServer {
  readonly endpoint: string;
  private child: ChildProcess | undefined;
  private output = '';
  private stopped = false;

  constructor(
    readonly dataDir: string,
    private readonly clientPort: number,
    private readonly peerPort: number,
  ) {
    this.endpoint = `http://127.0.0.1:${clientPort}`;
  }

  async start(): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      ETCD_BINARY,
      [
        '--name', 'flick-test',
        '--data-dir', this.dataDir,
        '--listen-client-urls', this.endpoint,
        '--advertise-client-urls', this.endpoint,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `flick-test=${peer}`,
        // Short raft timings: fast start, and a 1 s minimum lease TTL instead of 2 s.
        '--heartbeat-interval', '25',
        '--election-timeout', '250',
        '--logger', 'zap',
        '--log-level', 'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.output = '';
    running.add(child);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => running.delete(child));
    await this.waitHealthy(child);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async restart(options?: { hard?: boolean }): Promise<void> {
    await this.kill(options?.hard ? 'SIGKILL' : 'SIGTERM');
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Ends the process, escalating to SIGKILL after a bounded wait. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT'); // a paused process cannot handle SIGTERM
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private async waitHealthy(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`etcd exited during start (${child.exitCode ?? child.signalCode}):\n${this.output}`);
      }
      try {
        const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`etcd did not become healthy within ${START_TIMEOUT_MS} ms:\n${this.output}`);
  }
}

/**
 * A cluster member as a real process — `flick up --etcd URL --node-name N --port 0`, run from the
 * TypeScript sources — so that a test can `kill -9` it. It reaches etcd through its own TCP proxy,
 * so one member can also be cut off alone. Every process and directory it makes is removed by
 * `stop()` and, whatever happens, killed when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { blobId } from '../../src/control/blob-store.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const MAIN_URL = new URL('../../src/cli/main.ts', import.meta.url).href;
/** Loading the CLI from TypeScript sources takes seconds, and much longer on a loaded 2-core machine. */
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ClusterNodeOptions {
  name: string;
  etcd: string;
  zone?: string;
  /** Reuse a data directory (a node restarted after a crash). */
  dataDir?: string;
}

export class ClusterNode {
  private readonly agent = new Agent({ connections: 16, pipelining: 1 });
  /** Output of the process (its last 20 kB), for failure messages. */
  output = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly dataDir: string,
    readonly proxy: TcpProxy,
    readonly url: string,
    readonly token: string,
  ) {}

  static async start(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `flick-${opts.name}-`));
    const etcd = new URL(opts.etcd);
    const proxy = await startTcpProxy({ host: etcd.hostname, port: Number(etcd.port) });
    const argv = ['up', '--port', '0', '--data', dataDir, '--schedulers', '1', '--etcd', proxy.url, '--node-name', opts.name, ...(opts.zone ? ['--zone', opts.zone] : [])];
    const script = `import { main } from ${JSON.stringify(MAIN_URL)}; process.exitCode = await main(${JSON.stringify(argv)});`;
    const child = spawn(process.execPath, ['--disable-wasm-trap-handler', '--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLICK_LOG_LEVEL: process.env.FLICK_LOG_LEVEL ?? 'warn' },
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let output = '';
    const keep = (c: Buffer) => (output = (output + c.toString()).slice(-20_000));
    child.stderr!.on('data', keep);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${opts.name}: no ready line within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
        child.stdout!.on('data', (c: Buffer) => {
          keep(c);
          const m = /flick ready (http:\/\/\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${opts.name} exited (${code ?? signal}) before it was ready:\n${output}`));
        });
      });
      const node = new ClusterNode(opts.name, child, dataDir, proxy, url, readFileSync(join(dataDir, 'token'), 'utf8').trim());
      node.output = output;
      child.stdout!.on('data', (c: Buffer) => (node.output = (node.output + c.toString()).slice(-20_000)));
      child.stderr!.on('data', (c: Buffer) => (node.output = (node.output + c.toString()).slice(-20_000)));
      return node;
    } catch (e) {
      child.kill('SIGKILL');
      await proxy.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGSTOP: the process is stalled whole (a machine starved of CPU, a long GC pause), its sockets still open. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** kill -9: no goodbye to etcd, its lease has to expire. Keeps the data directory (for a restart). */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** SIGTERM (SIGKILL after a bound), then the proxy and, unless kept, the data directory go. */
  async stop(opts: { keepData?: boolean } = {}): Promise<void> {
    await this.end('SIGTERM');
    if (!opts.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Ends the process with `signal` (escalating to SIGKILL after a bound) and drops its connections. */
  private async end(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    if (this.alive) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      const escalate = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      this.child.kill('SIGCONT'); // a paused process cannot handle SIGTERM
      this.child.kill(signal);
      await exited.finally(() => clearTimeout(escalate));
    }
    await this.agent.close().catch(() => {});
    await this.proxy.close();
  }

  /** A request to an app through this node's ingress. */
  async ask(app: string, path = '/', opts: { headers?: Record<string, string> } = {}): Promise<{ status: number; text: string; error?: string }> {
    const res = await request(`${this.url}${path}`, { headers: { ...opts.headers, host: `${app}.localhost` }, dispatcher: this.agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    const error = res.headers['x-flick-error'];
    return { status: res.statusCode, text, ...(typeof error === 'string' ? { error } : {}) };
  }

  /** A control API call with the cluster token; `timeoutMs` bounds the wait for the answer. */
  async api(method: string, path: string, body?: unknown, timeoutMs = 90_000): Promise<{ status: number; json: any }> {
    const bytes = body instanceof Uint8Array;
    const res = await request(`${this.url}/_flick/api${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': bytes ? 'application/octet-stream' : 'application/json' },
      body: body === undefined ? undefined : bytes ? body : JSON.stringify(body),
      dispatcher: this.agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.statusCode, json };
  }

  /** Uploads the image and deploys it through this node; resolves to the API's answer (200: acknowledged). */
  async deploy(image: Uint8Array, extra: Record<string, unknown> = {}): Promise<{ status: number; json: any }> {
    const id = blobId(image);
    const put = await this.api('PUT', `/images/${id}`, image);
    if (put.status !== 201) return put;
    return this.api('POST', '/deployments', { image: id, ...extra });
  }
}

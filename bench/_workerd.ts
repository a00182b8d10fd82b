/**
 * workerd (npm `@cloudflare/workerd-linux-64`) as the peer runtime: a generated capnp config in a
 * temporary directory, one JS worker, served on a free loopback port in a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { killOnExit } from './_node-process.js';
import { sleep } from './_http.js';

const READY_TIMEOUT_MS = 15_000;

export function workerdBinary(): string {
  const pkg = createRequire(import.meta.url).resolve('@cloudflare/workerd-linux-64/package.json');
  return join(dirname(pkg), 'bin', 'workerd');
}

/** A free loopback port (asked of the kernel, then released for the peer to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function config(): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .app) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const app :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2024-09-01",
);
`;
}

export interface Workerd {
  url: string;
  stop(): Promise<void>;
}

/** Serves `workerSource` (an ES module with a default `fetch`) until `stop()`. */
export async function startWorkerd(workerSource: string): Promise<Workerd> {
  const dir = mkdtempSync(join(tmpdir(), 'flick-workerd-'));
  writeFileSync(join(dir, 'worker.js'), workerSource);
  writeFileSync(join(dir, 'config.capnp'), config());
  const port = await freePort();
  const child = spawn(workerdBinary(), ['serve', join(dir, 'config.capnp'), '--socket-addr', `http=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  killOnExit(child);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(url)).ok) return { url, stop };
    } catch {
      await sleep(50);
    }
  }
  await stop();
  throw new Error(`workerd did not answer on ${url} within ${READY_TIMEOUT_MS} ms:\n${stderr}`);
}

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
import { Client } from 'undici';
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
  /** From the call (before the worker and config are written) until the first 200 answer, ms. */
  readyMs: number;
  stop(): Promise<void>;
}

export interface WorkerdOptions {
  /** How long to wait between attempts while workerd is not answering yet (default 50 ms). */
  pollMs?: number;
}

/**
 * GETs `url` on a new connection until it answers 200 or `deadline` (a `performance.now()` time)
 * passes, waiting `pollMs` after each refused or failed attempt; true once answered. `keepTrying`
 * false stops early. Used for workerd and flick alike, so both are timed by the same client.
 */
export async function untilOk(url: string, deadline: number, opts: { pollMs: number; host?: string; keepTrying?: () => boolean }): Promise<boolean> {
  const { origin, pathname } = new URL(url);
  const client = new Client(origin);
  try {
    while (performance.now() < deadline && (opts.keepTrying?.() ?? true)) {
      try {
        const res = await client.request({ method: 'GET', path: pathname, headers: opts.host ? { host: opts.host } : {} });
        await res.body.arrayBuffer();
        if (res.statusCode === 200) return true;
      } catch {
        // not listening yet
      }
      await sleep(opts.pollMs);
    }
    return false;
  } finally {
    await client.close();
  }
}

/** Serves `workerSource` (an ES module with a default `fetch`) until `stop()`. */
export async function startWorkerd(workerSource: string, opts: WorkerdOptions = {}): Promise<Workerd> {
  const t0 = performance.now();
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
  if (await untilOk(url, performance.now() + READY_TIMEOUT_MS, { pollMs: opts.pollMs ?? 50, keepTrying: () => child.exitCode === null })) {
    return { url, readyMs: performance.now() - t0, stop };
  }
  await stop();
  throw new Error(`workerd did not answer on ${url} within ${READY_TIMEOUT_MS} ms:\n${stderr}`);
}

// A real node for telemetry tests: in-process daemon on port 0 with a temp data dir, removed after.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { Daemon } from '../../src/daemon/daemon.js';
import { buildImage } from '../../src/image/build.js';
import { examplesDir } from '../../src/host/install-root.js';
import type { TelemetryOptions } from '../../src/telemetry/telemetry.js';

export const CHATTY_DIR = join(import.meta.dirname, 'fixtures', 'chatty');

export interface TestNode {
  daemon: Daemon;
  url: string;
  stop(): Promise<void>;
}

export async function startNode(telemetry: TelemetryOptions = {}): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'flick-telemetry-'));
  const daemon = await Daemon.start({ host: '127.0.0.1', port: 0, dataDir: dir, schedulers: 2, telemetry: { logLevel: 'silent', ...telemetry } });
  return {
    daemon,
    url: daemon.url,
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example's prebuilt image when `npm run build` made it, else a fresh build. */
export async function exampleImage(name: string): Promise<Uint8Array> {
  try {
    return readFileSync(join(examplesDir, name, 'build', `${name}.flick`));
  } catch {
    return (await buildImage(join(examplesDir, name))).bytes;
  }
}

/**
 * Sends one call straight to each scheduler thread so that every thread has booted: from the
 * TypeScript sources a thread's first call waits for its loader, which can outlast a health check.
 */
export async function warmSchedulers(node: TestNode, releaseId: string): Promise<void> {
  await Promise.all(node.daemon.node.schedulers.map((s) => s.call(releaseId, null, { method: 'GET', url: '/warm?lines=0', headers: [], body: new Uint8Array(0) })));
}

export interface AppAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/** A request to an app by Host header (fetch may not set Host, so this goes through undici.request). */
export async function get(node: TestNode, app: string, path = '/', headers: Record<string, string> = {}): Promise<AppAnswer> {
  const res = await request(`${node.url}${path}`, { headers: { host: `${app}.localhost`, ...headers }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  return { status: res.statusCode, text, headers: { get: (name) => [res.headers[name.toLowerCase()] ?? null].flat()[0] } };
}

/** Polls `probe` until it returns a value (not undefined), at most `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 5000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A real flick node in this process on a free loopback port, with a temp data directory, and a
// keep-alive HTTP client for it. Every test that starts one stops it (and removes the directory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { Daemon, type DaemonOptions } from '../../src/daemon/daemon.js';

export interface TestNode {
  daemon: Daemon;
  dataDir: string;
  /** GET (or other) to `http://<app>.localhost:<port><path>`: status, headers and body text. */
  ask(app: string, path?: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;
  /** A control API call with the node's token (or `token: null` for none). */
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; json: any }>;
  deploy(image: Uint8Array, opts?: Record<string, unknown>): Promise<any>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startNode(opts: Partial<DaemonOptions> = {}, dataDir = mkdtempSync(join(tmpdir(), 'flick-test-'))): Promise<TestNode> {
  const daemon = await Daemon.start({ host: '127.0.0.1', port: 0, dataDir, schedulers: 2, ...opts });
  const agent = new Agent({ connections: 32, pipelining: 1 });
  const base = daemon.url;
  const node: TestNode = {
    daemon,
    dataDir,
    async ask(app, path = '/', init = {}) {
      const res = await request(`${base}${path}`, { method: (init.method ?? 'GET') as 'GET', headers: { host: `${app}.localhost`, ...init.headers }, body: init.body, dispatcher: agent, headersTimeout: 20_000, bodyTimeout: 20_000 });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    },
    async api(method, path, body, token = daemon.token) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await request(`${base}/_flick/api${path}`, { method: method as 'GET', headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), dispatcher: agent });
      const text = await res.body.text();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.statusCode, json };
    },
    deploy(image, o = {}) {
      return daemon.engine.deploy({ image, ...o });
    },
    async stop({ keepData = false } = {}) {
      await agent.close();
      await daemon.stop();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return node;
}

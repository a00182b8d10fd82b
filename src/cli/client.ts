/**
 * The CLI's side of the control API: finds the server and the token, and turns every failure
 * (unreachable server, refused token, an error answer) into one sentence with a hint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError } from './errors.js';
import { DEFAULT_DATA_DIR, DEFAULT_SERVER } from './defaults.js';

export interface ServerOptions {
  server: string;
  token?: string;
  data: string;
}

/** Adds --server, --token and --data to a command that talks to a node. */
export function withServer(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'the node to talk to (or FLICK_SERVER)', DEFAULT_SERVER)
    .option('--token <token>', 'the node\'s API token (or FLICK_TOKEN; default: read from --data)')
    .option('--data <dir>', 'data directory of a local node, to read its token from', DEFAULT_DATA_DIR);
}

export class ApiClient {
  readonly server: string;
  private readonly token: string | undefined;

  constructor(opts: ServerOptions) {
    this.server = opts.server.replace(/\/$/, '');
    this.token = opts.token ?? process.env.FLICK_TOKEN ?? readLocalToken(opts.data);
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (this.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.token}`;
    if (body instanceof Uint8Array) {
      init.body = body;
      (init.headers as Record<string, string>)['content-type'] = 'application/octet-stream';
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(`${this.server}/_flick/api${path}`, init);
    } catch (e) {
      throw new CliError(`cannot reach the flick node at ${this.server} (${((e as Error).cause as Error)?.message ?? (e as Error).message})`, 'start one with `npx flick up`, or point --server (or FLICK_SERVER) at a running node');
    }
    if (res.status === 401) throw new CliError(`the node at ${this.server} refused the token`, 'pass the node\'s token with --token or FLICK_TOKEN (a local node keeps it in DATA_DIR/token)');
    if (!res.ok && method !== 'HEAD') {
      const text = await res.text();
      let err: { message?: string; hint?: string } = {};
      try {
        err = JSON.parse(text) as typeof err;
      } catch {
        err = { message: text };
      }
      throw new CliError(err.message ?? `the node answered ${res.status}`, err.hint);
    }
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T;
  }
}

function readLocalToken(dataDir: string): string | undefined {
  const file = join(dataDir, 'token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * HTTP from the benchmarks to a node's apps: keep-alive connections (undici), apps addressed by
 * Host (`NAME.localhost`), and a closed-loop steady load that records every request it sent.
 */
import { Pool } from 'undici';

export interface AppRequest {
  path: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: Buffer;
  /** The `x-flick-error` code of an error answer, or the client error's code. */
  error: string | null;
}

/** One request's record: when it was sent (wall clock, ms, sub-ms resolution), how long it took. */
export interface Sample extends Answer {
  sentMs: number;
  latencyUs: number;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export class AppClient {
  private readonly pool: Pool;

  constructor(
    origin: string,
    private readonly app: string,
    connections: number,
    /** Bound on waiting for an answer (undici's default is 5 minutes): a client of a node that may hang gives up. */
    timeoutMs?: number,
  ) {
    this.pool = new Pool(origin, { connections, pipelining: 1, ...(timeoutMs ? { headersTimeout: timeoutMs, bodyTimeout: timeoutMs } : {}) });
  }

  async get(req: AppRequest): Promise<Answer> {
    try {
      const res = await this.pool.request({ method: 'GET', path: req.path, headers: { host: `${this.app}.localhost`, ...req.headers } });
      const body = Buffer.from(await res.body.arrayBuffer());
      const code = res.headers['x-flick-error'];
      return { status: res.statusCode, body, error: typeof code === 'string' ? code : res.statusCode >= 400 ? `http_${res.statusCode}` : null };
    } catch (e) {
      return { status: 0, body: Buffer.alloc(0), error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
  }

  /** One request, timed from send to the last byte of the answer. */
  async timed(req: AppRequest): Promise<Sample> {
    const sentMs = wallMs();
    const t0 = performance.now();
    const answer = await this.get(req);
    return { ...answer, sentMs, latencyUs: (performance.now() - t0) * 1000 };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * `concurrency` loops, each sending its next request as soon as the previous one is answered,
 * until `stop()`. Every request is kept, so a bench can ask afterwards which answer came when.
 */
export class SteadyLoad {
  readonly samples: Sample[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly client: AppClient,
    private readonly next: () => AppRequest,
    private readonly concurrency: number,
  ) {}

  start(): this {
    this.running = true;
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
    return this;
  }

  async stop(): Promise<Sample[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.samples;
  }

  private async loop(): Promise<void> {
    while (this.running) this.samples.push(await this.client.timed(this.next()));
  }
}

/** Runs a steady load for `ms` and returns its samples. */
export async function loadFor(client: AppClient, next: () => AppRequest, concurrency: number, ms: number): Promise<Sample[]> {
  const load = new SteadyLoad(client, next, concurrency).start();
  await sleep(ms);
  return load.stop();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function failures(samples: Sample[]): Sample[] {
  return samples.filter((s) => s.status !== 200);
}

/**
 * Requests between the nodes of a cluster: an app request forwarded to the node that serves it
 * (a per-key owner, a replica's host), and node-to-node calls of the control API (key moves). One
 * undici Pool per peer keeps connections alive, so a forwarded request costs one round trip, not a
 * handshake.
 *
 * A forwarded request carries `flick-forwarded: HOPS FROM-NODE`, the app in `flick-forwarded-app`
 * and the cluster token in `flick-cluster-token`; the receiving node checks the token and strips
 * all three before the app sees the request (the app must never see the token). Every wait is
 * bounded: a dead peer becomes a ForwardError (503 + Retry-After, naming the peer), never a hang.
 */
import { Pool } from 'undici';
import type { GuestRequest, GuestResponse } from '../runtime/request.js';
import { HintedError } from '../hinted-error.js';
import { sameSecret } from '../dashboard/session.js';

export const FORWARDED_HEADER = 'flick-forwarded';
export const FORWARDED_APP_HEADER = 'flick-forwarded-app';
export const CLUSTER_TOKEN_HEADER = 'flick-cluster-token';

/** Hops after which a forwarded request is refused rather than sent on (a key or replica that keeps moving). */
export const MAX_HOPS = 3;

const CONNECT_TIMEOUT_MS = 2000;
/** Bound on a forwarded exchange when the caller gives none: longer than any app deadline the manifest allows to matter. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** Seconds a client is told to wait after a peer failed: about one membership TTL. */
const RETRY_AFTER_S = 5;
/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones undici computes itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'content-length', 'expect']);
const MARK_HEADERS = new Set([FORWARDED_HEADER, FORWARDED_APP_HEADER, CLUSTER_TOKEN_HEADER]);
/** undici codes meaning the request never left this node: safe to send elsewhere. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

/** A peer did not answer (refused, reset, timed out). Answered as 503 + Retry-After. */
export class ForwardError extends HintedError {
  readonly code = 'peer_unreachable';
  readonly httpStatus = 503;
  readonly retryAfterS = RETRY_AFTER_S;
  constructor(
    readonly peer: string,
    why: string,
    /** The request was sent and no answer came: the peer may have acted on it (do not send it twice). */
    readonly maybeDelivered: boolean,
  ) {
    super(`node ${peer} did not answer: ${why}`, `retry in ${RETRY_AFTER_S} s: if ${peer} is down, its keys and replicas move to the other nodes once its membership lease expires`);
  }
}

/** A request marked as forwarded without the cluster's token: someone outside the cluster set the header. */
export class ForgedForward extends HintedError {
  readonly code = 'forged_forward';
  readonly httpStatus = 403;
  constructor() {
    super(`the request carries ${FORWARDED_HEADER} without the cluster's token`, `only flick nodes set ${FORWARDED_HEADER}; remove it from the request`);
  }
}

/** What a forwarded request says about its way here. */
export interface Forwarded {
  hops: number;
  /** The node that sent it on. */
  from: string;
  /** The app the first node resolved (so the receiver need not resolve it again). */
  app?: string;
}

/**
 * Reads the forwarding mark and strips it and the token from `request`. Null when the request came
 * straight from a client; ForgedForward when the mark comes without the right token.
 */
export function takeForwarded(request: GuestRequest, token: string): Forwarded | null {
  let mark: string | null = null;
  let app: string | undefined;
  let presented: string | null = null;
  for (const [k, v] of request.headers) {
    if (k === FORWARDED_HEADER) mark = v;
    else if (k === FORWARDED_APP_HEADER) app = v;
    else if (k === CLUSTER_TOKEN_HEADER) presented = v;
  }
  if (mark === null && presented === null && app === undefined) return null;
  request.headers = request.headers.filter(([k]) => !MARK_HEADERS.has(k));
  if (presented === null || mark === null || !sameSecret(presented, token)) throw new ForgedForward();
  const space = mark.indexOf(' ');
  const hops = Number(space < 0 ? mark : mark.slice(0, space));
  return { hops: Number.isInteger(hops) && hops > 0 ? hops : MAX_HOPS, from: space < 0 ? '?' : mark.slice(space + 1), app };
}

/** Sends an app request to the node at `address` (its ingress) and returns the answer as that node gave it. */
export interface Forwarder {
  forward(address: string, app: string, request: GuestRequest, hops: number, opts?: { timeoutMs?: number; peer?: string }): Promise<GuestResponse>;
}

export class PeerForwarder implements Forwarder {
  private readonly pools = new Map<string, Pool>();
  readonly stats = { forwarded: 0, failed: 0 };

  constructor(
    private readonly self: string,
    private readonly token: string,
  ) {}

  async forward(address: string, app: string, request: GuestRequest, hops: number, opts: { timeoutMs?: number; peer?: string } = {}): Promise<GuestResponse> {
    const headers: string[] = [];
    for (const [k, v] of request.headers) if (!HOP_BY_HOP.has(k) && !MARK_HEADERS.has(k)) headers.push(k, v);
    headers.push(FORWARDED_HEADER, `${hops} ${this.self}`, FORWARDED_APP_HEADER, app, CLUSTER_TOKEN_HEADER, this.token);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      const res = await this.pool(address).request({
        method: request.method as 'GET',
        path: request.url,
        headers,
        body: request.body.byteLength ? request.body : undefined,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = new Uint8Array(await res.body.arrayBuffer());
      const out: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(res.headers)) {
        if (HOP_BY_HOP.has(k) || v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) out.push([k, one]);
      }
      this.stats.forwarded++;
      return { status: res.statusCode, headers: out, body };
    } catch (e) {
      this.stats.failed++;
      throw failure(opts.peer ?? address, e);
    }
  }

  /** A control API call on the node at `address`, with the cluster token: its status and body. */
  async call(address: string, method: 'GET' | 'POST' | 'PUT', path: string, body: Uint8Array | string | undefined, opts: { timeoutMs: number; peer?: string }): Promise<{ status: number; body: Buffer }> {
    try {
      const res = await this.pool(address).request({
        method,
        path: `/_flick/api${path}`,
        headers: { authorization: `Bearer ${this.token}`, 'content-type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' },
        body,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
    } catch (e) {
      throw failure(opts.peer ?? address, e);
    }
  }

  /** Drops the connections to an address no member uses any more. */
  forget(address: string): void {
    const pool = this.pools.get(address);
    if (!pool) return;
    this.pools.delete(address);
    void pool.destroy().catch(() => {});
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }

  private pool(address: string): Pool {
    let pool = this.pools.get(address);
    if (!pool) {
      pool = new Pool(address, { connections: 64, pipelining: 1, connect: { timeout: CONNECT_TIMEOUT_MS }, keepAliveTimeout: 4000 });
      this.pools.set(address, pool);
    }
    return pool;
  }
}

function failure(peer: string, e: unknown): ForwardError {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  const why = code ? `${code} (${err.message})` : String(err?.message ?? e);
  return new ForwardError(peer, why, !(code !== undefined && NOT_SENT.has(code)));
}

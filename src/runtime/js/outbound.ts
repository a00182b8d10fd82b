/**
 * Outbound HTTP for JS apps: the allowlist check against `capabilities.outbound`, and the default
 * transport (Node's fetch). Redirects are never followed on the app's behalf, since a redirect could
 * lead to a host the manifest does not grant; the app sees the 3xx and may fetch the new location,
 * which is checked again.
 */
import { SandboxError } from '../errors.js';

/** An outbound request as the guest made it; `url` is absolute. */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface OutboundResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** Performs one granted request; `signal` aborts it when the call it belongs to ends. */
export type OutboundFetch = (request: OutboundRequest, signal: AbortSignal) => Promise<OutboundResponse>;

/** Bodies reach the guest whole, so they are capped before they are buffered. */
export const OUTBOUND_BODY_LIMIT = 32 * 1024 * 1024;

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Why `url` may not be fetched under the `allowed` hosts (`host` = default port only, or `host:port`), or null. */
export function outboundDenial(url: string, allowed: readonly string[]): SandboxError | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return denied(`fetch: ${JSON.stringify(url)} is not an absolute URL`, 'fetch an absolute http:// or https:// URL');
  }
  const defaultPort = DEFAULT_PORTS[parsed.protocol];
  if (defaultPort === undefined) return denied(`fetch: the ${parsed.protocol} scheme is not allowed`, 'only http:// and https:// can be fetched');
  const port = parsed.port || defaultPort;
  const granted = allowed.some((entry) => (entry.includes(':') ? entry === `${parsed.hostname}:${port}` : entry === parsed.hostname && parsed.port === ''));
  if (granted) return null;
  const wanted = parsed.port === '' ? parsed.hostname : `${parsed.hostname}:${port}`;
  return denied(`fetch: ${wanted} is not an outbound host this app may reach`, `add "${wanted}" to capabilities.outbound in flick.json`);
}

function denied(message: string, hint: string): SandboxError {
  return new SandboxError('capability_denied', message, hint, 500);
}

export const fetchOutbound: OutboundFetch = async (request, signal) => {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? request.body : undefined,
    redirect: 'manual',
    signal,
  });
  const headers: Array<[string, string]> = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  return { status: response.status, statusText: response.statusText, headers, body: await readCapped(response) };
};

async function readCapped(response: Response): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = Number(response.headers.get('content-length') ?? 0) > OUTBOUND_BODY_LIMIT ? Infinity : 0;
  while (size <= OUTBOUND_BODY_LIMIT) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.length;
    chunks.push(value);
  }
  await reader.cancel();
  throw new Error(`the response body is larger than ${OUTBOUND_BODY_LIMIT} bytes`);
}

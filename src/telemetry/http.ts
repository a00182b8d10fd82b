/**
 * Telemetry over HTTP: `GET /_flick/metrics` (Prometheus text) and the read-only API routes
 * `/_flick/api/logs`, `/_flick/api/traces[/ID]` and `/_flick/api/overview`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from '../control/registry.js';
import type { FlickNode } from '../node/node.js';
import { answerError } from '../ingress/server.js';
import { get, json, type RouteDef } from '../daemon/api.js';
import { BadRequest } from '../daemon/json-body.js';
import { overview } from '../dashboard/overview.js';
import { spansOf, summaryOf } from './traces.js';
import type { StoredLogLine } from './log-buffer.js';
import type { Telemetry } from './telemetry.js';

export const METRICS_PATH = '/_flick/metrics';
/** A follower that reads slower than its app logs gets lines dropped (and told so) past this. */
const FOLLOW_BACKLOG_BYTES = 1 << 20;
const MAX_TRACES = 1000;

export interface TelemetryHttpDeps {
  telemetry: Telemetry;
  registry: Registry;
  node: FlickNode;
}

/** Serves `/_flick/metrics`; false for any other path. */
export async function serveMetrics(telemetry: Telemetry, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.url?.split('?')[0] !== METRICS_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    answerError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${METRICS_PATH}`, 'use GET');
    return true;
  }
  const text = await telemetry.metrics.text();
  res.writeHead(200, { 'content-type': telemetry.metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(req.method === 'HEAD' ? undefined : text);
  return true;
}

export function telemetryRoutes(deps: TelemetryHttpDeps): RouteDef[] {
  const { telemetry } = deps;
  return [
    get(/^\/logs$/, async (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const app = q.get('app');
      if (!app) throw new BadRequest('app', 'which app\'s logs? the query needs app=NAME', 'e.g. GET /_flick/api/logs?app=hello&follow=1');
      if (!(await deps.registry.route(app))) return answerError(res, 404, 'no_such_app', `no app named '${app}' is deployed`, 'list apps with flick ps');
      const query = { app, instance: q.get('instance') ?? undefined, since: intParam(q, 'since'), tail: intParam(q, 'tail') ?? 100 };
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      for (const line of telemetry.logs.read(query)) res.write(`${JSON.stringify(line)}\n`);
      if (q.get('follow') !== '1') return void res.end();
      // Send the head now: a follower waiting for its first line must already hold a response.
      res.flushHeaders();
      followInto(res, (deliver) => telemetry.logs.follow({ ...query, tail: undefined }, deliver));
    }),
    get(/^\/traces$/, async (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const limit = Math.min(intParam(q, 'limit') ?? 50, MAX_TRACES);
      json(res, 200, telemetry.traces.recent(limit, q.get('app') ?? undefined).map(summaryOf));
    }),
    get(/^\/traces\/([0-9a-f]{32})$/, async (_q, res, [traceId]) => {
      const requests = telemetry.traces.get(traceId);
      if (requests.length === 0) return answerError(res, 404, 'no_such_trace', `no recent trace ${traceId}`, 'the node keeps only its most recent traces; list them with GET /_flick/api/traces');
      json(res, 200, { traceId, spans: requests.flatMap(spansOf) });
    }),
    get(/^\/overview$/, async (_q, res) => json(res, 200, await overview(deps))),
  ];
}

/** Streams new lines until the client goes away; a reader that falls behind loses lines, not the node's memory. */
function followInto(res: ServerResponse, subscribe: (deliver: (line: StoredLogLine) => void) => () => void): void {
  let dropped = 0;
  const unsubscribe = subscribe((line) => {
    if (res.writableLength > FOLLOW_BACKLOG_BYTES) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      res.write(`${JSON.stringify({ dropped })}\n`);
      dropped = 0;
    }
    res.write(`${JSON.stringify(line)}\n`);
  });
  res.on('close', unsubscribe);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(name, `${name}=${raw} is not a whole number`, `pass ${name} as a number, e.g. ${name}=100`);
  return n;
}

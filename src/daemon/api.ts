/**
 * The control API at `/_flick/api/…`. Reads are open (the node binds to loopback unless told
 * otherwise); anything that changes state needs the node's bearer token. Deploys can stream their
 * progress as NDJSON (one deployment record per phase change) when the client asks for it.
 */
import { statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeployEngine } from '../control/deploy/engine.js';
import type { BlobStore } from '../control/blob-store.js';
import type { Registry } from '../control/registry.js';
import type { FlickNode } from '../node/node.js';
import type { MemberInfo } from '../cluster/membership.js';
import { APP_NAME_HINT, isAppName, MANIFEST_BOUNDS } from '../image/manifest.js';
import type { RouteSync } from './route-sync.js';
import { answerError } from '../ingress/server.js';
import { requestAuthorized } from '../dashboard/session.js';
import { collectGarbage, GC_DEFAULTS } from '../control/gc.js';
import { BadRequest, parseJsonBody, readRaw } from './json-body.js';

export const API_PREFIX = '/_flick/api';
const MAX_JSON = 64 << 10;

export interface ApiDeps {
  token: string;
  registry: Registry;
  blobs: BlobStore;
  engine: DeployEngine;
  node: FlickNode;
  sync: RouteSync;
  maxImageBytes: number;
  /** More read or write routes under the prefix (telemetry's logs, traces, overview). */
  extraRoutes?: RouteDef[];
  /** The nodes of the cluster (just this one when it runs alone). */
  nodes: () => Promise<MemberInfo[]>;
  /** Why this node must refuse changes right now (it lost its cluster lease), or null. */
  refuseChanges: () => string | null;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>;
export interface RouteDef {
  method: string;
  pattern: RegExp;
  mutates: boolean;
  /**
   * Served while the node is cut off from the store (refuseChanges): it commits nothing there,
   * like the calls nodes make to hand per-key instances to each other.
   */
  storeless?: boolean;
  handler: Handler;
}

export function controlApi(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  /** The route of the app a path names; null also for names no app can have (a long one would not even fit a store key). */
  const routeOf = async (app: string) => (isAppName(app) ? deps.registry.route(app) : null);
  const routes: RouteDef[] = [
    get(/^\/status$/, async (_q, res) => json(res, 200, status(deps))),
    get(/^\/apps$/, async (_q, res) => json(res, 200, await apps(deps))),
    get(/^\/apps\/([^/]+)$/, async (_q, res, [app]) => {
      const route = await routeOf(app);
      if (!route) return noSuchApp(res, app);
      json(res, 200, { route: route.record, replicas: (await deps.registry.scale(app))?.replicas ?? null, releases: (await deps.registry.releases(app)).map(({ manifest: _m, ...r }) => r) });
    }),
    get(/^\/apps\/([^/]+)\/deployments$/, async (_q, res, [app]) => (isAppName(app) ? json(res, 200, await deps.registry.deployments(app)) : noSuchApp(res, app))),
    get(/^\/nodes$/, async (_q, res) => json(res, 200, await deps.nodes())),
    { method: 'GET', pattern: /^\/images\/(sha256:[0-9a-f]{64})$/, mutates: true, handler: async (_q, res, [id]) => {
      // Peers fetch images by hash (token required: an image is the app's code).
      const bytes = deps.blobs.get(id);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
      res.end(bytes);
    } },
    get(/^\/instances$/, async (_q, res) => json(res, 200, deps.node.table.view(performance.now()))),
    { method: 'HEAD', pattern: /^\/images\/(sha256:[0-9a-f]{64})$/, mutates: false, handler: async (_q, res, [id]) => void res.writeHead(deps.blobs.has(id) ? 200 : 404).end() },
    mutate('PUT', /^\/images\/([^/]+)$/, async (req, res, [id]) => {
      const bytes = await readRaw(req, deps.maxImageBytes);
      json(res, 201, { id: deps.blobs.put(bytes, id) });
    }),
    mutate('POST', /^\/deployments$/, async (req, res) => {
      const body = parseJsonBody<{ image: string; app?: string; shadowPct?: number; canaryPct?: number; shadowThreshold?: number; shadowMs?: number }>(await readRaw(req, MAX_JSON), {
        image: { type: 'string', required: true },
        app: { type: 'string' },
        shadowPct: { type: 'number', min: 0, max: 100 },
        canaryPct: { type: 'number', min: 0, max: 99 },
        shadowThreshold: { type: 'number', min: 0, max: 1 },
        shadowMs: { type: 'number', min: 100, max: 600_000 },
      });
      // The app's name becomes its store keys and NAME.localhost: the manifest's rule applies.
      if (body.app !== undefined && !isAppName(body.app)) throw new BadRequest('app', `field 'app' is not a valid app name: ${JSON.stringify(body.app.slice(0, 80))}`, APP_NAME_HINT);
      if (!deps.blobs.has(body.image)) throw new BadRequest('image', `the node does not have image ${body.image}`, 'upload it first: PUT /_flick/api/images/<id> (flick deploy does this)');
      await streamed(req, res, (progress) => deps.engine.deploy({ ...body, image: deps.blobs.get(body.image) }, progress));
    }),
    mutate('POST', /^\/apps\/([^/]+)\/rollback$/, async (req, res, [app]) => {
      if (!isAppName(app)) return noSuchApp(res, app);
      await streamed(req, res, (progress) => deps.engine.rollback(app, progress));
    }),
    mutate('POST', /^\/instances\/([^/]+)\/migrate$/, async (req, res, [id]) => {
      const body = parseJsonBody<{ to: number }>(await readRaw(req, MAX_JSON), { to: { type: 'integer', required: true, min: 0 } });
      json(res, 200, await deps.node.migrate(id, body.to));
    }),
    mutate('POST', /^\/apps\/([^/]+)\/scale$/, async (req, res, [app]) => {
      const { min, max } = MANIFEST_BOUNDS.replicas;
      const body = parseJsonBody<{ replicas: number }>(await readRaw(req, MAX_JSON), { replicas: { type: 'integer', required: true, min, max } });
      const route = await routeOf(app);
      if (!route) return noSuchApp(res, app);
      const mode = (await deps.registry.release(app, route.record.release))?.manifest.instances.mode;
      if (mode !== 'replicas') throw new BadRequest('replicas', `${app} runs ${mode} instances; only a replicas app has a pool to scale`, 'set "instances": {"mode": "replicas", "count": N} in its flick.json and deploy it');
      const scale = await deps.registry.setScale(app, body.replicas);
      await deps.sync.waitForScale(scale);
      json(res, 200, scale);
    }),
    mutate('POST', /^\/instances\/([^/]+)\/hibernate$/, async (_q, res, [id]) => {
      const rec = deps.node.table.get(id);
      if (!rec) return answerError(res, 404, 'no_such_instance', `no instance ${id}`, 'list instances with flick ps');
      await deps.node.hibernate(rec);
      if (rec.status !== 'hibernated') return answerError(res, 409, 'busy', `instance ${rec.id} could not be snapshotted now (it is ${rec.status}, ${rec.inflight} request(s) in flight)`, 'try again when it is idle');
      const snapshot = deps.node.snapshotFile(rec);
      json(res, 200, { id: rec.id, state: rec.status, snapshot, bytes: statSync(snapshot).size });
    }),
    mutate('POST', /^\/gc$/, async (req, res) => {
      const body = parseJsonBody<{ keep?: number; graceSeconds?: number }>(await readRaw(req, MAX_JSON), {
        keep: { type: 'integer', min: 1, max: 100_000 },
        graceSeconds: { type: 'number', min: 0, max: 30 * 86_400 },
      });
      const keepNewest = body.keep ?? GC_DEFAULTS.keepNewest;
      const graceMs = body.graceSeconds === undefined ? GC_DEFAULTS.graceMs : body.graceSeconds * 1000;
      json(res, 200, await collectGarbage(deps.registry, deps.blobs, { keepNewest, graceMs }));
    }),
    ...(deps.extraRoutes ?? []),
  ];

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) return false;
    const path = url.pathname.slice(API_PREFIX.length);
    const matches = routes.filter((r) => r.pattern.test(path));
    if (matches.length === 0) {
      answerError(res, 404, 'no_such_endpoint', `no API endpoint ${path}`, 'see docs/api.md for the control API');
      return true;
    }
    const route = matches.find((r) => r.method === req.method);
    if (!route) {
      res.setHeader('allow', matches.map((r) => r.method).join(', '));
      answerError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${path}`, `use ${matches.map((r) => r.method).join(' or ')}`);
      return true;
    }
    if (route.mutates && !requestAuthorized(req, deps.token)) {
      res.setHeader('www-authenticate', 'Bearer');
      answerError(res, 401, 'unauthorized', 'this request changes state and needs the node\'s token', 'pass --token (or FLICK_TOKEN); the node wrote it to DATA_DIR/token at first start');
      return true;
    }
    const refusal = route.mutates && !route.storeless && req.method !== 'GET' ? deps.refuseChanges() : null;
    if (refusal) {
      answerError(res, 503, 'detached', refusal, 'send the change to another node (flick nodes lists them), or wait until this one is back in the cluster');
      return true;
    }
    try {
      await route.handler(req, res, pathParams(route.pattern.exec(path)!));
    } catch (e) {
      const err = e as { httpStatus?: number; code?: string; message: string; hint?: string; field?: string | null };
      const code = err instanceof BadRequest ? 'bad_request' : (err.code ?? 'error');
      answerError(res, err.httpStatus ?? (err.hint ? 400 : 500), code, err.message, err.hint ?? 'see the node logs');
    }
    return true;
  };
}

/** Path parameters, percent-decoded; a malformed escape is the client's mistake (400), not the node's. */
function pathParams(match: RegExpExecArray): string[] {
  return match.slice(1).map((raw) => {
    try {
      return decodeURIComponent(raw);
    } catch {
      throw new BadRequest(null, `the path has a malformed percent-escape in ${JSON.stringify(raw.slice(0, 80))}`, 'escape "%" as %25');
    }
  });
}

function noSuchApp(res: ServerResponse, app: string): void {
  answerError(res, 404, 'no_such_app', `no app named '${app}' is deployed`, 'list apps with flick ps');
}

export function get(pattern: RegExp, handler: Handler): RouteDef {
  return { method: 'GET', pattern, mutates: false, handler };
}

function mutate(method: string, pattern: RegExp, handler: Handler): RouteDef {
  return { method, pattern, mutates: true, handler };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Runs a deploy or rollback; with `Accept: application/x-ndjson`, each progress record is a line. */
async function streamed<T>(req: IncomingMessage, res: ServerResponse, run: (progress: (d: unknown) => void) => Promise<T>): Promise<void> {
  const ndjson = (req.headers.accept ?? '').includes('application/x-ndjson');
  if (!ndjson) return json(res, 200, await run(() => {}));
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  try {
    const result = await run((d) => res.write(`${JSON.stringify({ progress: d })}\n`));
    res.end(`${JSON.stringify({ result })}\n`);
  } catch (e) {
    const err = e as { message: string; hint?: string; deployment?: unknown };
    res.end(`${JSON.stringify({ error: { message: err.message, hint: err.hint ?? '', deployment: err.deployment ?? null } })}\n`);
  }
}

function status(deps: ApiDeps): unknown {
  const node = deps.node;
  return {
    schedulers: node.schedulers.map((s) => ({ index: s.index, outstanding: s.outstanding, replacements: s.replacements })),
    instances: node.table.size,
    releases: [...node.releases.keys()],
    counters: node.counters,
  };
}

async function apps(deps: ApiDeps): Promise<unknown[]> {
  const out = [];
  for (const app of await deps.registry.apps()) {
    const route = await deps.registry.route(app);
    const rel = route ? await deps.registry.release(app, route.record.release) : null;
    out.push({ app, release: route?.record.release ?? null, version: rel?.version ?? null, previous: route?.record.previous ?? null, canary: route?.record.canary ?? null, image: rel?.image ?? null });
  }
  return out;
}

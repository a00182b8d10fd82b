/**
 * The manifest: what an app declares about itself. It lives with the code (`flick.json` in the
 * app directory), is validated at build time and again at load time, and is embedded in the image
 * in its normalized form (every default filled in), so an image behaves the same whatever defaults
 * a later version of flick would pick.
 */
import type { ManifestOrigin } from './errors.js';
import { childPath, FieldReader, orDefault, type JsonObject } from './field-reader.js';

export type Runtime = 'wasm' | 'js';

/** How a wasm app serves requests: the flick reactor ABI, or WAGI (CGI over WASI, a command module). */
export type WasmAbi = 'flick' | 'wagi';

export interface Resources {
  /** Linear memory (wasm) or heap (js) ceiling, MiB. */
  memoryMiB: number;
  /** CPU budget for one call into the instance, milliseconds of metered work. */
  cpuMsPerCall: number;
  /** Wall-clock deadline for one request, milliseconds. */
  deadlineMs: number;
}

export type KeySource =
  | { from: 'header'; name: string }
  | { from: 'cookie'; name: string }
  | { from: 'path'; segment: number };

export type InstanceMode =
  | { mode: 'per-request' }
  /** `max`: keys (instances) the app may have on one node. */
  | { mode: 'per-key'; key: KeySource; max: number }
  | { mode: 'replicas'; count: number; supervision: PoolSupervision };

/** How a replicas pool is supervised (OTP supervisor flags; docs/supervision.md). */
export interface PoolSupervision {
  strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one';
  /** Restarts allowed within `periodS` before the supervisor gives up and the pool fails. */
  intensity: number;
  periodS: number;
}

export interface Capabilities {
  /** KV namespaces the app may open. */
  kv: string[];
  /** Hosts (`host` or `host:port`) the app may fetch from. */
  outbound: string[];
  /** May send to, spawn, link and monitor instances. */
  messaging: boolean;
}

export interface HealthCheck {
  path: string;
  expectStatus: number;
  timeoutMs: number;
}

export interface Hibernation {
  /** Idle time after which an instance is snapshotted and freed; 0 disables hibernation. */
  idleMs: number;
}

export interface Manifest {
  name: string;
  version: string;
  runtime: Runtime;
  /** wasm only; validateManifest fills in 'flick' for wasm apps. */
  abi?: WasmAbi;
  resources: Resources;
  instances: InstanceMode;
  /** Extra routes besides `NAME.localhost`: `/prefix/*`, `host/prefix/*`. */
  routes: string[];
  capabilities: Capabilities;
  health?: HealthCheck;
  hibernate: Hibernation;
}

/** Bounds every manifest must respect, whatever node it runs on (NodeLimits narrow them per node). */
export const MANIFEST_BOUNDS = {
  memoryMiB: { min: 1, max: 4096, default: 16 },
  cpuMsPerCall: { min: 1, max: 600_000, default: 50 },
  deadlineMs: { min: 1, max: 3_600_000, default: 5000 },
  replicas: { min: 1, max: 10_000 },
  perKeyMax: { min: 1, max: 10_000_000, default: 100_000 },
  intensity: { min: 0, max: 1_000_000, default: 5 },
  periodS: { min: 1, max: 86_400, default: 10 },
  pathSegment: { min: 0, max: 31 },
  healthStatus: { min: 100, max: 599, default: 200 },
  healthTimeoutMs: { min: 1, max: 60_000, default: 1000 },
  idleMs: { min: 0, max: 86_400_000, defaultPerKey: 30_000 },
  listItems: 64,
} as const;

const TOP_LEVEL_FIELDS = ['name', 'version', 'runtime', 'abi', 'resources', 'instances', 'routes', 'capabilities', 'health', 'hibernate'];
/** `flick.json` also says how to build the code; that section is read by build-spec.ts and never embedded. */
const BUILD_SECTION = 'build';

const NAME = {
  // A DNS label: the app is served at NAME.localhost.
  pattern: /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
  maxLength: 63,
  hint: 'use lower-case letters, digits and hyphens, starting with a letter (it becomes NAME.localhost)',
};

/** App names given outside a manifest (`flick deploy --app`, API paths) follow the manifest's rule. */
export function isAppName(name: string): boolean {
  return name.length <= NAME.maxLength && NAME.pattern.test(name);
}
export const APP_NAME_HINT = NAME.hint;

const VERSION = {
  pattern: /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/,
  maxLength: 64,
  hint: 'use a semantic version such as "1.0.0"',
};
const TOKEN = { pattern: /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, maxLength: 256, hint: 'use a header or cookie name such as "x-tenant"' };
const HOST = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\\d{1,5})?';
const PATH_SEGMENT = "[A-Za-z0-9._~!$&'()+,;=:@%-]+";
const ROUTE = {
  pattern: new RegExp(`^(?:${HOST})?/(?:${PATH_SEGMENT}/)*(?:${PATH_SEGMENT}|\\*)?$`),
  maxLength: 512,
  hint: 'write a route as "/prefix/*" or "host.example/prefix/*" (lower-case host, "*" only at the end)',
};
const OUTBOUND = { pattern: new RegExp(`^${HOST}$`), maxLength: 260, hint: 'write an outbound host as "api.example.com" or "api.example.com:8443"' };
const KV_NAMESPACE = { pattern: /^[a-z0-9][a-z0-9_.-]*$/, maxLength: 64, hint: 'use lower-case letters, digits, ".", "_" and "-"' };
const HEALTH_PATH = { pattern: /^\/[\x21-\x7e]*$/, maxLength: 1024, hint: 'use an absolute request path such as "/healthz"' };

/**
 * JS apps run the Workers model unless they ask otherwise: warm isolates that serve request after
 * request. A fresh instance per request (the wasm default) is a new V8 context each time, ~1 ms of
 * CPU against ~20 µs for a call into a warm one (docs/decisions.md, "JS apps default to replicas").
 */
const JS_DEFAULT_INSTANCES = { mode: 'replicas', count: 2 };

/**
 * Checks a manifest and returns it with every default filled in. `origin` 'build' reads `flick.json`
 * (which may also hold a `build` section, ignored here); 'load' reads the manifest embedded in an image.
 * Throws ManifestError naming the first offending field.
 */
export function validateManifest(raw: unknown, origin: ManifestOrigin): Manifest {
  const read = new FieldReader(origin);
  const known = origin === 'build' ? [...TOP_LEVEL_FIELDS, BUILD_SECTION] : TOP_LEVEL_FIELDS;
  const fields = read.object(raw, '', known);

  const name = read.string(required(read, fields, '', 'name', '"name": "my-app"'), 'name', NAME);
  const version = read.string(required(read, fields, '', 'version', '"version": "1.0.0"'), 'version', VERSION);
  const runtime = read.choice(orDefault(fields.runtime, defaultRuntime(fields, origin)), 'runtime', ['wasm', 'js'] as const);
  if (runtime === 'js' && fields.abi !== undefined) read.fail('abi', 'applies only to runtime "wasm"', 'remove "abi" (JS apps always export a fetch handler)');
  const instances = readInstances(read, orDefault(fields.instances, runtime === 'js' ? JS_DEFAULT_INSTANCES : { mode: 'per-request' }));

  const abi = runtime === 'wasm' ? read.choice(orDefault(fields.abi, 'flick'), 'abi', ['flick', 'wagi'] as const) : undefined;
  const resources = readResources(read, orDefault(fields.resources, {}));
  const routes = read.stringList(orDefault(fields.routes, []), 'routes', MANIFEST_BOUNDS.listItems, (v, p) => read.string(v, p, ROUTE));
  const capabilities = readCapabilities(read, orDefault(fields.capabilities, {}));
  // Messaging is part of the flick reactor ABI (msg_* imports, the flick_message export).
  if (capabilities.messaging && abi !== 'flick') {
    read.fail('capabilities.messaging', `is available to wasm apps on the flick ABI, not ${runtime === 'js' ? 'JS apps' : 'WAGI apps'}`, 'remove "messaging", or build the app for "abi": "flick" (docs/abi.md, "Messaging")');
  }

  // Built in reading order, so errors surface top to bottom and `flick inspect` shows fields in that order.
  return {
    name,
    version,
    runtime,
    ...(abi !== undefined ? { abi } : {}),
    resources,
    instances,
    routes,
    capabilities,
    ...(fields.health !== undefined ? { health: readHealth(read, fields.health) } : {}),
    hibernate: readHibernation(read, orDefault(fields.hibernate, {}), instances),
  };
}

/** In flick.json a JS build implies the JS runtime, so apps need not say it twice. */
function defaultRuntime(fields: JsonObject, origin: ManifestOrigin): string {
  const build = fields[BUILD_SECTION];
  const kind = origin === 'build' && typeof build === 'object' && build !== null ? (build as JsonObject).kind : undefined;
  return kind === 'js' ? 'js' : 'wasm';
}

function required(read: FieldReader, fields: JsonObject, parent: string, key: string, example: string): unknown {
  if (fields[key] === undefined) read.fail(childPath(parent, key), 'is missing', `add ${example}`);
  return fields[key];
}

function readResources(read: FieldReader, raw: unknown): Resources {
  const fields = read.object(raw, 'resources', ['memoryMiB', 'cpuMsPerCall', 'deadlineMs']);
  const bound = (key: 'memoryMiB' | 'cpuMsPerCall' | 'deadlineMs'): number => {
    const b = MANIFEST_BOUNDS[key];
    return read.integer(orDefault(fields[key], b.default), `resources.${key}`, b.min, b.max);
  };
  const resources = { memoryMiB: bound('memoryMiB'), cpuMsPerCall: bound('cpuMsPerCall'), deadlineMs: bound('deadlineMs') };
  if (resources.cpuMsPerCall > resources.deadlineMs) {
    // A budget the deadline always cuts short would be a limit that never applies.
    read.fail('resources.cpuMsPerCall', `(${resources.cpuMsPerCall}) exceeds resources.deadlineMs (${resources.deadlineMs})`, 'keep the CPU budget per call at or below the deadline');
  }
  return resources;
}

function readInstances(read: FieldReader, raw: unknown): InstanceMode {
  const probe = read.object(raw, 'instances', ['mode', 'key', 'count', 'max', 'supervision']);
  const mode = read.choice(required(read, probe, 'instances', 'mode', '"mode": "per-request"'), 'instances.mode', ['per-request', 'per-key', 'replicas'] as const);
  switch (mode) {
    case 'per-request':
      read.object(raw, 'instances', ['mode']);
      return { mode };
    case 'per-key': {
      const fields = read.object(raw, 'instances', ['mode', 'key', 'max']);
      const key = readKeySource(read, required(read, fields, 'instances', 'key', '"key": { "from": "header", "name": "x-tenant" }'));
      const { min, max, default: byDefault } = MANIFEST_BOUNDS.perKeyMax;
      return { mode, key, max: read.integer(orDefault(fields.max, byDefault), 'instances.max', min, max) };
    }
    case 'replicas': {
      const fields = read.object(raw, 'instances', ['mode', 'count', 'supervision']);
      const { min, max } = MANIFEST_BOUNDS.replicas;
      const count = read.integer(required(read, fields, 'instances', 'count', '"count": 2'), 'instances.count', min, max);
      return { mode, count, supervision: readSupervision(read, orDefault(fields.supervision, {})) };
    }
  }
}

function readSupervision(read: FieldReader, raw: unknown): PoolSupervision {
  const path = 'instances.supervision';
  const fields = read.object(raw, path, ['strategy', 'intensity', 'periodS']);
  const { intensity, periodS } = MANIFEST_BOUNDS;
  return {
    strategy: read.choice(orDefault(fields.strategy, 'one_for_one'), `${path}.strategy`, ['one_for_one', 'one_for_all', 'rest_for_one'] as const),
    intensity: read.integer(orDefault(fields.intensity, intensity.default), `${path}.intensity`, intensity.min, intensity.max),
    periodS: read.integer(orDefault(fields.periodS, periodS.default), `${path}.periodS`, periodS.min, periodS.max),
  };
}

function readKeySource(read: FieldReader, raw: unknown): KeySource {
  const path = 'instances.key';
  const probe = read.object(raw, path, ['from', 'name', 'segment']);
  const from = read.choice(required(read, probe, path, 'from', '"from": "header"'), `${path}.from`, ['header', 'cookie', 'path'] as const);
  if (from === 'path') {
    const fields = read.object(raw, path, ['from', 'segment']);
    const { min, max } = MANIFEST_BOUNDS.pathSegment;
    return { from, segment: read.integer(required(read, fields, path, 'segment', '"segment": 0'), `${path}.segment`, min, max) };
  }
  const fields = read.object(raw, path, ['from', 'name']);
  const name = read.string(required(read, fields, path, 'name', '"name": "x-tenant"'), `${path}.name`, TOKEN);
  // Header names are case-insensitive and arrive lower-cased (see GuestRequest); cookie names are not.
  return { from, name: from === 'header' ? name.toLowerCase() : name };
}

function readCapabilities(read: FieldReader, raw: unknown): Capabilities {
  const fields = read.object(raw, 'capabilities', ['kv', 'outbound', 'messaging']);
  const limit = MANIFEST_BOUNDS.listItems;
  return {
    kv: read.stringList(orDefault(fields.kv, []), 'capabilities.kv', limit, (v, p) => read.string(v, p, KV_NAMESPACE)),
    outbound: read.stringList(orDefault(fields.outbound, []), 'capabilities.outbound', limit, (v, p) => readOutboundHost(read, v, p)),
    messaging: read.boolean(orDefault(fields.messaging, false), 'capabilities.messaging'),
  };
}

function readOutboundHost(read: FieldReader, raw: unknown, path: string): string {
  const host = read.string(raw, path, OUTBOUND);
  const port = host.includes(':') ? Number(host.slice(host.indexOf(':') + 1)) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) read.fail(path, `has port ${port}, outside 1..65535`, OUTBOUND.hint);
  return host;
}

function readHealth(read: FieldReader, raw: unknown): HealthCheck {
  const fields = read.object(raw, 'health', ['path', 'expectStatus', 'timeoutMs']);
  const status = MANIFEST_BOUNDS.healthStatus;
  const timeout = MANIFEST_BOUNDS.healthTimeoutMs;
  return {
    path: read.string(required(read, fields, 'health', 'path', '"path": "/healthz"'), 'health.path', HEALTH_PATH),
    expectStatus: read.integer(orDefault(fields.expectStatus, status.default), 'health.expectStatus', status.min, status.max),
    timeoutMs: read.integer(orDefault(fields.timeoutMs, timeout.default), 'health.timeoutMs', timeout.min, timeout.max),
  };
}

function readHibernation(read: FieldReader, raw: unknown, instances: InstanceMode): Hibernation {
  const fields = read.object(raw, 'hibernate', ['idleMs']);
  const { min, max, defaultPerKey } = MANIFEST_BOUNDS.idleMs;
  // Per-key instances are the ones that sit idle between a tenant's requests; the others gain nothing by default.
  const idleDefault = instances.mode === 'per-key' ? defaultPerKey : 0;
  return { idleMs: read.integer(orDefault(fields.idleMs, idleDefault), 'hibernate.idleMs', min, max) };
}


/**
 * Manifests for fuzzing: valid ones (every rule of src/image/manifest.ts respected, optional fields
 * left out at random), near-valid ones (a valid manifest with a few fields broken in known places),
 * and loosely shaped ones (each field drawn from both sides of its rule).
 */
import fc from 'fast-check';

export type JsonPath = Array<string | number>;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/;
const host = fc.array(fc.stringMatching(LABEL), { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const hostAndPort = fc.tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }))).map(([h, port]) => (port === null ? h : `${h}:${port}`));
const routeSegment = fc.stringMatching(/^[A-Za-z0-9._~!$&'()+,;=:@%-]{1,12}$/);
const route = fc
  .tuple(fc.option(hostAndPort), fc.array(routeSegment, { maxLength: 4 }), fc.boolean())
  .map(([h, segments, star]) => `${h ?? ''}/${segments.map((s) => `${s}/`).join('')}${star ? '*' : ''}`);
const headerName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,30}$/);

const keySource = fc.oneof(
  fc.record({ from: fc.constantFrom('header', 'cookie'), name: headerName }),
  fc.record({ from: fc.constant('path'), segment: fc.integer({ min: 0, max: 31 }) }),
);
const instances = fc.oneof(
  fc.constant({ mode: 'per-request' }),
  fc.record({ mode: fc.constant('per-key'), key: keySource }),
  fc.record({ mode: fc.constant('replicas'), count: fc.integer({ min: 1, max: 10_000 }) }),
);

/** CPU budget at or below the deadline, counting the defaults (50 ms, 5000 ms) of a field left out. */
const resources = fc
  .record({
    memoryMiB: fc.integer({ min: 1, max: 4096 }),
    cpuMsPerCall: fc.integer({ min: 1, max: 600_000 }),
    deadlineMs: fc.integer({ min: 1, max: 3_600_000 }),
  }, { requiredKeys: [] })
  .filter(({ cpuMsPerCall = 50, deadlineMs = 5000 }) => cpuMsPerCall <= deadlineMs);

/** Manifests that validate: what `flick.json` may hold (without a `build` section). */
export const validManifest: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    name: fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/),
    version: fc.stringMatching(/^\d{1,5}\.\d{1,5}\.\d{1,5}(?:-[0-9A-Za-z.-]{1,20})?(?:\+[0-9A-Za-z.-]{1,20})?$/),
    runtime: fc.constantFrom('wasm', 'js'),
    abi: fc.constantFrom('flick', 'wagi'),
    resources,
    instances,
    routes: fc.uniqueArray(route, { maxLength: 5 }),
    capabilities: fc.record({
      kv: fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/), { maxLength: 4 }),
      outbound: fc.uniqueArray(hostAndPort, { maxLength: 4 }),
      messaging: fc.boolean(),
    }, { requiredKeys: [] }),
    health: fc.record({
      path: fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/),
      expectStatus: fc.integer({ min: 100, max: 599 }),
      timeoutMs: fc.integer({ min: 1, max: 60_000 }),
    }, { requiredKeys: ['path'] }),
    hibernate: fc.record({ idleMs: fc.integer({ min: 0, max: 86_400_000 }) }, { requiredKeys: [] }),
  }, { requiredKeys: ['name', 'version'] })
  .map((m) => {
    // The cross-field rules: ABI only for wasm; messaging only on the flick ABI.
    const out: Record<string, unknown> = { ...m };
    const wasm = m.runtime !== 'js';
    if (!wasm) delete out.abi;
    if (m.capabilities?.messaging && !(wasm && (m.abi ?? 'flick') === 'flick')) out.capabilities = { ...m.capabilities, messaging: false };
    return out;
  });

const HUGE = 1 << 20;
const hugeStrings = ['x'.repeat(HUGE), `/${'a/'.repeat(HUGE / 2)}*`, 'a'.repeat(HUGE), `${'1.'.repeat(HUGE / 2)}0`];

/** A value `levels` deep (objects and lists alternating), built without recursion. */
export function deeplyNested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { deeper: value };
  return value;
}

/** What a broken field is set to: wrong types, numbers just outside or far outside any range, huge and deep values. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, '', 0, -1, 1.5, -0, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, Number.NaN, Infinity, -Infinity, 4097, 600_001, 65_536, 10_001, 32, '1', '1.0.0', [], {}, [[]], { mode: 'per-key' }),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constantFrom(...hugeStrings),
  fc.constantFrom(2, 100, 10_000, 100_000).map(deeplyNested),
  fc.array(fc.string({ maxLength: 3 }), { minLength: 60, maxLength: 70 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2 }),
);

export type ManifestMutation =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown };

export const manifestMutation: fc.Arbitrary<ManifestMutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: hostileValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom('max', 'mode', 'name', 'nmae', 'build', 'key', 'count', 'abi', '__proto__', 'constructor', 'toString', 'x'.repeat(10_000)), fc.string()),
    value: hostileValue,
  }),
);

/** Every path into a JSON value, the value itself ([]) first. */
export function pathsOf(value: unknown, at: JsonPath = []): JsonPath[] {
  const out: JsonPath[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

/**
 * Applies mutations at paths of the original manifest (picked by `at` modulo their number) and
 * returns the result with the paths it touched. The original is not changed.
 */
export function mutateManifest(valid: Record<string, unknown>, mutations: ManifestMutation[]): { manifest: unknown; touched: JsonPath[] } {
  const paths = pathsOf(valid);
  let root: unknown = structuredClone(valid);
  const touched: JsonPath[] = [];
  for (const m of mutations) {
    const path = paths[m.at % paths.length];
    if (path.length === 0) {
      if (m.kind === 'set') root = m.value;
      if (m.kind === 'add' && isObject(root)) define(root, m.key, m.value);
      touched.push(m.kind === 'add' ? [m.key] : []);
      continue;
    }
    const parent = lookup(root, path.slice(0, -1));
    const last = path[path.length - 1];
    if (!isObject(parent) && !Array.isArray(parent)) continue;
    if (m.kind === 'set') define(parent, last, m.value);
    if (m.kind === 'delete') {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete (parent as Record<string, unknown>)[last];
    }
    if (m.kind === 'add') {
      const target = (parent as Record<string | number, unknown>)[last];
      if (isObject(target)) define(target, m.key, m.value);
      else define(parent, last, { [m.key]: m.value });
    }
    touched.push(m.kind === 'add' ? [...path, m.key] : path);
  }
  return { manifest: root, touched };
}

function lookup(root: unknown, path: JsonPath): unknown {
  let v = root;
  for (const k of path) v = isObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Near-valid manifests: the right shape with values drawn from both sides of each rule, plus stray fields. */
export const manifestLike = fc.record(
  {
    name: fc.oneof(fc.constantFrom('app', 'a-b', 'A', '-x', ''), fc.string({ maxLength: 70 })),
    version: fc.oneof(fc.constantFrom('1.0.0', '1.0', '0.0.1-rc.1+b5'), fc.string()),
    runtime: fc.constantFrom('wasm', 'js', 'python'),
    abi: fc.constantFrom('flick', 'wagi', 'cgi'),
    resources: fc.record({ memoryMiB: fc.oneof(fc.integer({ min: -2, max: 5000 }), fc.double()), cpuMsPerCall: fc.integer({ min: 0, max: 700_000 }), deadlineMs: fc.integer({ min: 0, max: 4_000_000 }) }, { requiredKeys: [] }),
    instances: fc.oneof(
      fc.record({ mode: fc.constantFrom('per-request', 'per-key', 'replicas', 'pool') }),
      fc.record({ mode: fc.constant('per-key'), key: fc.oneof(fc.record({ from: fc.constantFrom('header', 'cookie', 'query'), name: fc.string() }), fc.record({ from: fc.constant('path'), segment: fc.integer({ min: -1, max: 40 }) })) }),
      fc.record({ mode: fc.constant('replicas'), count: fc.integer({ min: -1, max: 20_000 }) }),
    ),
    routes: fc.array(fc.oneof(fc.constantFrom('/api/*', 'x.example.com/*', '/a/*/b', '*'), fc.string({ maxLength: 600 })), { maxLength: 70 }),
    capabilities: fc.record({ kv: fc.array(fc.string()), outbound: fc.array(fc.oneof(fc.domain(), fc.string())), messaging: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }),
    health: fc.record({ path: fc.oneof(fc.constant('/healthz'), fc.string()), expectStatus: fc.integer({ min: 0, max: 1000 }), timeoutMs: fc.integer() }, { requiredKeys: [] }),
    hibernate: fc.record({ idleMs: fc.integer() }, { requiredKeys: [] }),
    build: fc.anything(),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManifestError } from '../../src/image/errors.js';
import { checkAgainstLimits, DEFAULT_NODE_LIMITS } from '../../src/image/limits.js';
import { validateManifest } from '../../src/image/manifest.js';
import { sampleManifest } from './fixtures.js';

const base = { name: 'app', version: '1.0.0' };

/** Asserts that validating `raw` fails on `path`, and returns the error for further checks. */
function refusal(raw: unknown, path: string, origin: 'build' | 'load' = 'build'): ManifestError {
  try {
    validateManifest(raw, origin);
  } catch (e) {
    assert.ok(e instanceof ManifestError, `expected a ManifestError, got ${String(e)}`);
    assert.equal(e.path, path, e.message);
    assert.equal(e.code, 'invalid_manifest');
    assert.ok(e.message.includes(path), `message names the field: ${e.message}`);
    assert.ok(e.hint.length > 0);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(raw)} to be refused at ${path}`);
}

describe('validateManifest', () => {
  it('fills in every default', () => {
    assert.deepEqual(validateManifest(base, 'build'), {
      name: 'app',
      version: '1.0.0',
      runtime: 'wasm',
      abi: 'flick',
      resources: { memoryMiB: 16, cpuMsPerCall: 50, deadlineMs: 5000 },
      instances: { mode: 'per-request' },
      routes: [],
      capabilities: { kv: [], outbound: [], messaging: false },
      hibernate: { idleMs: 0 },
    });
  });

  it('hibernates per-key instances after 30 s by default and lower-cases key header names', () => {
    const manifest = validateManifest({ ...base, instances: { mode: 'per-key', key: { from: 'header', name: 'X-Tenant' } } }, 'build');
    assert.deepEqual(manifest.instances, { mode: 'per-key', key: { from: 'header', name: 'x-tenant' }, max: 100_000 });
    assert.equal(manifest.hibernate.idleMs, 30_000);
  });

  it('keeps what is declared', () => {
    const manifest = validateManifest({
      ...base,
      abi: 'flick',
      resources: { memoryMiB: 64, cpuMsPerCall: 100, deadlineMs: 100 },
      instances: { mode: 'replicas', count: 3 },
      routes: ['/api/*', 'shop.example.com/*', 'shop.example.com:8080/v1/items'],
      capabilities: { kv: ['sessions'], outbound: ['api.example.com', 'api.example.com:8443'], messaging: true },
      health: { path: '/healthz' },
      hibernate: { idleMs: 5000 },
    }, 'build');
    assert.equal(manifest.abi, 'flick');
    assert.equal(manifest.capabilities.messaging, true);
    assert.deepEqual(manifest.health, { path: '/healthz', expectStatus: 200, timeoutMs: 1000 });
    assert.deepEqual(manifest.instances, { mode: 'replicas', count: 3, supervision: { strategy: 'one_for_one', intensity: 5, periodS: 10 } });
    assert.equal(manifest.routes.length, 3);
  });

  it('takes the JS runtime from a JS build, and gives JS apps no abi', () => {
    const manifest = validateManifest({ ...base, build: { kind: 'js', entry: 'src/index.ts' } }, 'build');
    assert.equal(manifest.runtime, 'js');
    // The Workers model: warm isolates serve request after request (a fresh V8 context per request costs ~1 ms).
    assert.deepEqual(manifest.instances, { mode: 'replicas', count: 2, supervision: { strategy: 'one_for_one', intensity: 5, periodS: 10 } });
    assert.equal('abi' in manifest, false);
    refusal({ ...base, runtime: 'js', abi: 'flick' }, 'abi');
  });

  it('accepts a build section only in flick.json', () => {
    validateManifest({ ...base, build: { kind: 'wasm', path: 'a.wasm' } }, 'build');
    const e = refusal({ ...base, build: {} }, 'build', 'load');
    assert.match(e.message, /^image manifest: /);
  });

  const cases: Array<[string, unknown, string]> = [
    ['a list instead of an object', [], ''],
    ['a missing name', { version: '1.0.0' }, 'name'],
    ['an upper-case name', { ...base, name: 'Hello' }, 'name'],
    ['a name ending in a hyphen', { ...base, name: 'app-' }, 'name'],
    ['a missing version', { name: 'app' }, 'version'],
    ['a non-semver version', { ...base, version: '1.0' }, 'version'],
    ['an unknown runtime', { ...base, runtime: 'python' }, 'runtime'],
    ['an unknown abi', { ...base, abi: 'cgi' }, 'abi'],
    ['zero memory', { ...base, resources: { memoryMiB: 0 } }, 'resources.memoryMiB'],
    ['memory beyond 4 GiB', { ...base, resources: { memoryMiB: 4097 } }, 'resources.memoryMiB'],
    ['fractional memory', { ...base, resources: { memoryMiB: 1.5 } }, 'resources.memoryMiB'],
    ['memory as a string', { ...base, resources: { memoryMiB: '16' } }, 'resources.memoryMiB'],
    ['a null section', { ...base, resources: null }, 'resources'],
    ['a CPU budget beyond the deadline', { ...base, resources: { cpuMsPerCall: 200, deadlineMs: 100 } }, 'resources.cpuMsPerCall'],
    ['an unknown instance mode', { ...base, instances: { mode: 'per-kye' } }, 'instances.mode'],
    ['per-key without a key', { ...base, instances: { mode: 'per-key' } }, 'instances.key'],
    ['a per-key max of 0', { ...base, instances: { mode: 'per-key', key: { from: 'header', name: 'k' }, max: 0 } }, 'instances.max'],
    ['a max on a replicas app', { ...base, instances: { mode: 'replicas', count: 2, max: 3 } }, 'instances.max'],
    ['a key from the query', { ...base, instances: { mode: 'per-key', key: { from: 'query', name: 'k' } } }, 'instances.key.from'],
    ['a path key with a name', { ...base, instances: { mode: 'per-key', key: { from: 'path', name: 'k' } } }, 'instances.key.name'],
    ['a header key with spaces', { ...base, instances: { mode: 'per-key', key: { from: 'header', name: 'x tenant' } } }, 'instances.key.name'],
    ['zero replicas', { ...base, instances: { mode: 'replicas', count: 0 } }, 'instances.count'],
    ['a count for per-request', { ...base, instances: { mode: 'per-request', count: 2 } }, 'instances.count'],
    ['routes as a string', { ...base, routes: '/api/*' }, 'routes'],
    ['a route without a path', { ...base, routes: ['api.example.com'] }, 'routes[0]'],
    ['a wildcard mid-route', { ...base, routes: ['/a/*/b'] }, 'routes[0]'],
    ['a repeated route', { ...base, routes: ['/a/*', '/a/*'] }, 'routes[1]'],
    ['a KV namespace with a space', { ...base, capabilities: { kv: ['my data'] } }, 'capabilities.kv[0]'],
    ['an outbound URL instead of a host', { ...base, capabilities: { outbound: ['https://x.com'] } }, 'capabilities.outbound[0]'],
    ['an outbound port out of range', { ...base, capabilities: { outbound: ['x.com:70000'] } }, 'capabilities.outbound[0]'],
    ['messaging as a string', { ...base, capabilities: { messaging: 'yes' } }, 'capabilities.messaging'],
    ['a health check without a path', { ...base, health: {} }, 'health.path'],
    ['a health status beyond 599', { ...base, health: { path: '/h', expectStatus: 700 } }, 'health.expectStatus'],
    ['a negative idle time', { ...base, hibernate: { idleMs: -1 } }, 'hibernate.idleMs'],
  ];
  for (const [what, raw, path] of cases) {
    it(`refuses ${what}, naming ${path || 'the manifest'}`, () => {
      refusal(raw, path);
    });
  }

  it('says what range to use', () => {
    assert.equal(refusal({ ...base, resources: { memoryMiB: 0 } }, 'resources.memoryMiB').hint, 'use a whole number between 1 and 4096');
  });

  it('suggests the closest field or value for a typo', () => {
    assert.equal(refusal({ ...base, resourses: {} }, 'resourses').hint, 'did you mean "resources"?');
    assert.equal(refusal({ ...base, resources: { memoryMb: 8 } }, 'resources.memoryMb').hint, 'did you mean "memoryMiB"?');
    assert.equal(refusal({ ...base, instances: { mode: 'per-kye' } }, 'instances.mode').hint, 'did you mean "per-key"?');
    assert.match(refusal({ ...base, zzzzzzzz: 1 }, 'zzzzzzzz').hint, /known fields here: name, version/);
  });

  it('prefixes messages with where the manifest came from', () => {
    assert.match(refusal({ version: '1.0.0' }, 'name').message, /^flick\.json: name is missing/);
    assert.match(refusal({ version: '1.0.0' }, 'name', 'load').message, /^image manifest: name is missing/);
  });
});

describe('checkAgainstLimits', () => {
  const limits = { ...DEFAULT_NODE_LIMITS, maxMemoryMiB: 64, maxCpuMsPerCall: 100, maxDeadlineMs: 1000 };

  it('accepts a manifest at the limits', () => {
    checkAgainstLimits(sampleManifest({ resources: { memoryMiB: 64, cpuMsPerCall: 100, deadlineMs: 1000 } }), limits);
  });

  const over: Array<[string, Record<string, number>]> = [
    ['memoryMiB', { memoryMiB: 65 }],
    ['cpuMsPerCall', { cpuMsPerCall: 101, deadlineMs: 1000 }],
    ['deadlineMs', { deadlineMs: 1001 }],
  ];
  for (const [field, resources] of over) {
    it(`refuses more ${field} than the node allows, naming the field`, () => {
      assert.throws(
        () => checkAgainstLimits(sampleManifest({ resources }), limits),
        (e: unknown) => e instanceof ManifestError && e.code === 'exceeds_node_limit' && e.path === `resources.${field}` && /more than this node allows/.test(e.message) && e.hint.length > 0,
      );
    });
  }
});

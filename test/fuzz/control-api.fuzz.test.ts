/**
 * The control API under hostile requests, over real HTTP on loopback against one node: random
 * methods, paths under /_flick/api/, headers and bodies (JSON, garbage, huge, wrong types), with
 * and without the token. Every answer is a 2xx or a 4xx — a 4xx with a JSON error naming the
 * problem — within a deadline; and a refused request leaves the store's apps and the images as
 * they were.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Agent } from 'undici';
import { fuzzParameters, fuzzRuns, fuzzSuite } from './runs.js';
import { APPS, MAX_IMAGE_BYTES, startFuzzNode, storeState, type FuzzNode } from './fuzz-node.js';

/** Sized so the short run takes a few seconds (a case is ~1–3 ms of HTTP plus two store reads). */
const RUNS = 400;
/** Far above any answer here (a deploy included), far below a hang. */
const ANSWER_TIMEOUT_MS = 30_000;
const API = '/_flick/api';

interface ApiRequest {
  method: string;
  path: string;
  auth: 'token' | 'none' | 'wrong' | 'lower-case' | 'basic' | 'huge';
  headers: Record<string, string>;
  body: string | Uint8Array | null;
}

// Filled in once the node is up; the arbitraries read them when they generate.
let fuzz: FuzzNode;
const instanceIds: string[] = [];

/** The running instances, for migrate and hibernate to find (scale, hibernate and deploys change them). */
function refreshInstanceIds(): void {
  const running = fuzz.node.daemon.node.table.view(performance.now()).filter((i) => i.state === 'running');
  instanceIds.splice(0, instanceIds.length, ...running.map((i) => i.id));
}

const pick = <T>(list: () => readonly T[]) => fc.nat().map((i) => list()[i % list().length]);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const oddSegment = fc.oneof(
  fc.constantFrom('', '..', '.', '%', '%2F', '%E0%A4%A', '%00', '%25', 'a'.repeat(3000), 'constructor', '__proto__', 'ALPHA', '-x', 'alpha%2Frollback', 'sha256:'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.stringMatching(/^[\x21-\x7e]{1,20}$/).map((s) => s.replace(/[/?#]/g, '')),
);
const appName = fc.oneof(fc.constantFrom(...APPS, 'missing'), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), oddSegment);
const imageId = fc.oneof(pick(() => [fuzz.image.id]), hex64.map((h) => `sha256:${h}`), oddSegment);
const instanceId = fc.oneof(pick(() => (instanceIds.length ? instanceIds : ['none'])), oddSegment);
const query = fc.oneof(
  fc.constant(''),
  fc.record({ app: appName, tail: fc.constantFrom('1', '10', '0', '-1', '1e400', 'x', '99999999999999999999'), since: fc.constantFrom('0', '5', 'x', '1.5'), limit: fc.constantFrom('1', '5000', '-3', ''), follow: fc.constantFrom('0', 'yes', '') }, { requiredKeys: [] })
    .map((q) => `?${new URLSearchParams(q as Record<string, string>)}`),
  fc.stringMatching(/^[\x21-\x7e]{0,30}$/).map((q) => `?${q.replace(/#/g, '')}`),
);
/** Every field any endpoint reads, each valid or not. */
const fieldValue = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 50, 99, 100, 150, 0.5, -1, 101, 1e9, 1.5, -0, '1', '', null, true, false, [], {}, ...APPS, 'Bad Name', 'a/b', 'x'.repeat(100)),
  fc.jsonValue({ maxDepth: 2 }),
);
const fieldName = fc.oneof(
  fc.constantFrom('image', 'app', 'shadowPct', 'canaryPct', 'shadowThreshold', 'shadowMs', 'to', 'replicas', 'keep', 'graceSeconds', '__proto__', 'constructor', 'toString'),
  fc.string({ maxLength: 10 }),
);
/** An endpoint's own fields, valid more often than not (so its handler runs), with a stray field now and then. */
const fieldsOf = (fields: Record<string, fc.Arbitrary<unknown>>, requiredKeys: string[] = []) =>
  fc
    .tuple(fc.record(fields, { requiredKeys }), fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fieldName, fieldValue) }))
    .map(([known, stray]) => JSON.stringify(stray ? { ...known, [stray[0]]: stray[1] } : known));
/** A valid value three times in four; otherwise a value just outside the rule, or anything. */
const validOr = (valid: unknown[], invalid: unknown[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...invalid), fieldValue) });

// Valid deploys stay quick: no health check in the image, a short shadow, no huge pools.
const deployFields = fieldsOf({
  image: fc.oneof({ weight: 3, arbitrary: pick(() => [fuzz.image.id]) }, { weight: 1, arbitrary: imageId }),
  app: validOr(['alpha', 'beta'], ['Bad Name', '', 'a/b', 'x'.repeat(70)]),
  shadowPct: validOr([0, 10], [101, -1]),
  shadowMs: validOr([100, 150], [99, 600_001]),
  shadowThreshold: validOr([0, 0.5, 1], [2, -0.1]),
  canaryPct: validOr([0, 20], [99.5, 100]),
}, ['image']);

const MIB = 1 << 20;
const hugeBodies = [
  `{"keep": 1, "pad": "${'a'.repeat(70 << 10)}"}`, // past the 64 KiB JSON limit
  new Uint8Array(MAX_IMAGE_BYTES + 1), // past the image limit
  new Uint8Array(MIB),
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  `{"to": ${'9'.repeat(400)}}`,
  JSON.stringify({ replicas: 'x'.repeat(60_000) }),
];
const anyBody = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.dictionary(fieldName, fieldValue, { maxKeys: 4 }).map((f) => JSON.stringify(f)) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...hugeBodies) },
);

interface Endpoint {
  method: string;
  path: fc.Arbitrary<string>;
  body?: fc.Arbitrary<string | Uint8Array>;
}
const endpoints: Endpoint[] = [
  { method: 'GET', path: fc.constantFrom('/status', '/apps', '/instances', '/nodes', '/overview', '/traces') },
  { method: 'GET', path: appName.map((app) => `/apps/${app}`) },
  { method: 'GET', path: appName.map((app) => `/apps/${app}/deployments`) },
  { method: 'POST', path: appName.map((app) => `/apps/${app}/rollback`) },
  { method: 'POST', path: appName.map((app) => `/apps/${app}/scale`), body: fieldsOf({ replicas: validOr([1, 2, 3], [0, 10_001, 2.5]) }, ['replicas']) },
  { method: 'HEAD', path: imageId.map((id) => `/images/${id}`) },
  { method: 'GET', path: imageId.map((id) => `/images/${id}`) },
  { method: 'PUT', path: imageId.map((id) => `/images/${id}`), body: fc.oneof(pick(() => [fuzz.image.bytes]), fc.uint8Array({ maxLength: 300 })) },
  { method: 'POST', path: fc.constant('/deployments'), body: deployFields },
  { method: 'POST', path: instanceId.map((id) => `/instances/${id}/migrate`), body: fieldsOf({ to: validOr([0, 1], [2, 0.5, -1]) }, ['to']) },
  { method: 'POST', path: instanceId.map((id) => `/instances/${id}/hibernate`) },
  { method: 'POST', path: fc.constant('/gc'), body: fieldsOf({ keep: validOr([1, 5], [0, 100_001]), graceSeconds: validOr([0, 60], [-1, 1e9]) }) },
  { method: 'GET', path: query.map((q) => `/logs${q}`) },
  { method: 'GET', path: query.map((q) => `/traces${q}`) },
  { method: 'GET', path: hex64.map((h) => `/traces/${h.slice(0, 32)}`) },
  // Anything else under the prefix, and the prefix itself.
  { method: 'GET', path: fc.oneof(fc.array(oddSegment, { maxLength: 4 }).map((segments) => `/${segments.join('/')}`), fc.constantFrom('', '/', '//apps', '/apps/', '/images/', '/apps//rollback', '/STATUS', '/status/', '?x')) },
];

const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const anyMethod = fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS');
const request: fc.Arbitrary<ApiRequest> = fc.constantFrom(...endpoints).chain((endpoint) =>
  fc.record({
    // Mostly the endpoint's own method, token and body, so requests get past routing into the handlers.
    method: fc.oneof({ weight: 4, arbitrary: fc.constant(endpoint.method) }, { weight: 1, arbitrary: anyMethod }),
    path: endpoint.path.map((p) => API + p),
    auth: fc.oneof({ weight: 4, arbitrary: fc.constant('token' as const) }, { weight: 1, arbitrary: fc.constantFrom('none', 'wrong', 'lower-case', 'basic', 'huge') as fc.Arbitrary<ApiRequest['auth']> }),
    headers: fc.record({
      'content-type': fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=latin1', 'x'),
      accept: fc.constantFrom('application/x-ndjson', 'application/json', '*/*'),
      'x-flick-dashboard': fc.constant('1'),
      cookie: fc.oneof(fc.constant('flick_session=forged'), headerValue),
      'x-random': headerValue,
    }, { requiredKeys: [] }),
    body: endpoint.body ? fc.oneof({ weight: 3, arbitrary: endpoint.body }, { weight: 1, arbitrary: anyBody }) : anyBody,
  }),
);

function authorization(kind: ApiRequest['auth']): string | undefined {
  const token = fuzz.node.daemon.token;
  return { token: `Bearer ${token}`, none: undefined, wrong: `Bearer ${token.slice(1)}x`, 'lower-case': `bearer ${token}`, basic: `Basic ${token}`, huge: `Bearer ${'t'.repeat(8000)}` }[kind];
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(agent: Agent, r: ApiRequest): Promise<Answer> {
  const auth = authorization(r.auth);
  const res = await agent.request({
    origin: fuzz.node.daemon.url,
    path: r.path,
    method: r.method as 'GET',
    headers: { ...r.headers, ...(auth ? { authorization: auth } : {}) },
    body: r.body ?? undefined,
    headersTimeout: ANSWER_TIMEOUT_MS,
    bodyTimeout: ANSWER_TIMEOUT_MS,
  });
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text: await res.body.text() };
}

/** A 2xx, or a 4xx whose JSON body names the problem; a streamed deploy may end with an error line instead. */
function checkAnswer(r: ApiRequest, a: Answer): { refused: boolean } {
  const what = `${r.method} ${r.path.slice(0, 120)} → ${a.status} ${a.text.slice(0, 300)}`;
  assert.ok(a.status >= 200 && a.status < 300 || a.status >= 400 && a.status < 500, `neither a 2xx nor a 4xx: ${what}`);
  // Dot segments can lead out of the API (`/_flick/api/..` is the dashboard, which answers in HTML).
  const inApi = new URL(r.path, 'http://x').pathname.startsWith(`${API}/`);
  if (a.status >= 400) {
    if (r.method !== 'HEAD' && inApi) {
      assert.match(a.contentType, /^application\/json/, what);
      const error = JSON.parse(a.text) as { error: unknown; message: unknown; hint: unknown };
      assert.ok(typeof error.error === 'string' && error.error.length > 0, `an error code: ${what}`);
      assert.ok(typeof error.message === 'string' && error.message.length > 0, what);
      assert.ok(typeof error.hint === 'string', what);
    }
    return { refused: true };
  }
  if (a.contentType.startsWith('application/x-ndjson') && a.text.length > 0) {
    const last = JSON.parse(a.text.trimEnd().split('\n').pop()!) as { error?: { message: string } };
    if (last.error) return { refused: true };
  }
  return { refused: false };
}

describe(fuzzSuite('control API fuzzing'), () => {
  let agent: Agent;

  before(async () => {
    fuzz = await startFuzzNode();
    agent = new Agent({ connections: 1, pipelining: 1 });
    refreshInstanceIds();
  });
  after(async () => {
    await agent.close();
    await fuzz.node.stop();
  });

  it(`random requests get a 2xx or a 4xx with a JSON error; refused ones change nothing (${fuzzRuns(RUNS)} runs)`, async () => {
    let state = await storeState(fuzz.node);
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await send(agent, r);
        const { refused } = checkAnswer(r, answer);
        const now = await storeState(fuzz.node);
        if (refused) assert.equal(now, state, `a refused request changed the store: ${r.method} ${r.path.slice(0, 120)} → ${answer.status} ${answer.text.slice(0, 300)}`);
        else refreshInstanceIds();
        state = now;
      }),
      fuzzParameters(RUNS),
    );
    // The node still serves its apps.
    assert.equal((await fuzz.node.ask('pool')).status, 200);
  });

  describe('regressions found by fuzzing', () => {
    const api = (method: string, path: string, body?: unknown) => fuzz.node.api(method, path, body);

    it('a malformed percent-escape in a path is a 400, not a 500', async () => {
      for (const path of ['/images/%E0%A4%A', '/instances/%E0/migrate', '/instances/%/hibernate']) {
        const r = await api(path.includes('images') ? 'PUT' : 'POST', path, {});
        assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error, 'bad_request');
      }
    });

    it('an app name no app can have is a 404, not a 500 (it would not even fit a store key)', async () => {
      for (const tail of ['', '/deployments', '/rollback', '/scale']) {
        const r = await api(tail === '' || tail === '/deployments' ? 'GET' : 'POST', `/apps/${'a'.repeat(3000)}${tail}`, tail === '/scale' ? { replicas: 1 } : {});
        assert.equal(r.status, 404, `${tail}: ${JSON.stringify(r.json).slice(0, 200)}`);
        assert.equal(r.json.error, 'no_such_app');
      }
    });

    it('a deploy under an invalid app name is refused naming "app" (it used to hang: a name with "/" never maps back from its store keys)', async () => {
      for (const app of ['Bad Name/../x', 'a/b', '', 'x'.repeat(64)]) {
        const r = await api('POST', '/deployments', { image: fuzz.image.id, app });
        assert.equal(r.status, 400);
        assert.match(r.json.message, /field 'app'/);
      }
    });

    it('body fields named like Object.prototype members are unknown fields, and whole numbers must be whole', async () => {
      assert.match((await api('POST', '/gc', { constructor: 1 })).json.message, /unknown field 'constructor'/);
      assert.match((await api('POST', '/gc', JSON.parse('{"__proto__": 1}'))).json.message, /unknown field '__proto__'/);
      assert.match((await api('POST', '/gc', { keep: 1.5 })).json.message, /'keep' must be a whole number/);
      assert.match((await api('POST', '/instances/x/migrate', { to: 0.5 })).json.message, /'to' must be a whole number/);
    });
  });
});

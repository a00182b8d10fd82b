/**
 * Hostile images and manifests: every input must end as a decoded image or a typed refusal
 * (ImageError / ManifestError), quickly, and nothing else may escape. FLICK_FUZZ_RUNS sets the
 * number of runs per property (`npm run fuzz` uses 100000).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../../src/image/canonical-json.js';
import { ImageError, ManifestError } from '../../src/image/errors.js';
import { decodeImage, encodeImage, IMAGE_MAGIC } from '../../src/image/format.js';
import { DEFAULT_NODE_LIMITS, type NodeLimits } from '../../src/image/limits.js';
import { validateManifest } from '../../src/image/manifest.js';
import { assemble, REACTOR_WAT, sampleManifest, watToWasm, type RawSection } from '../image/fixtures.js';

const RUNS = Number(process.env.FLICK_FUZZ_RUNS ?? 2000);
/** Far above a normal decode (well under a millisecond here), far below anything a person would call a hang. */
const MAX_DECODE_MS = 2000;
const utf8 = new TextEncoder();
const TOTAL_LENGTH_OFFSET = IMAGE_MAGIC.length + 4;

/** Runs `decode` and returns how it ended; anything but an image or a typed refusal fails the property. */
function outcome(decode: () => unknown): 'decoded' | 'refused' {
  const started = performance.now();
  try {
    decode();
    return 'decoded';
  } catch (e) {
    if (e instanceof ImageError || e instanceof ManifestError) return 'refused';
    throw new Error(`escaped a non-typed error: ${e instanceof Error ? e.stack : String(e)}`);
  } finally {
    const elapsed = performance.now() - started;
    assert.ok(elapsed < MAX_DECODE_MS, `decode took ${elapsed.toFixed(0)} ms`);
  }
}

/** Rewrites the header's total length to the real one, so a mutation reaches the sections instead of stopping there. */
function withTrueLength(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= TOTAL_LENGTH_OFFSET + 4) new DataView(bytes.buffer, bytes.byteOffset).setUint32(TOTAL_LENGTH_OFFSET, bytes.length, true);
  return bytes;
}

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'remove'; at: number; length: number };

const position = fc.nat({ max: 1 << 20 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: position, value: fc.oneof(fc.constantFrom(0, 1, 0x7fff_ffff, 0xffff_ffff, 0xffff), fc.nat({ max: 0xffff_ffff })) }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('remove' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
);

function mutate(image: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = image.slice();
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] ^= m.mask;
        break;
      case 'u32':
        if (bytes.length >= 4) new DataView(bytes.buffer).setUint32(Math.min(at, bytes.length - 4), m.value, true);
        break;
      case 'cut':
        bytes = bytes.slice(0, at);
        break;
      case 'insert':
        bytes = new Uint8Array(Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]));
        break;
      case 'remove':
        bytes = new Uint8Array(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]));
        break;
    }
  }
  return bytes;
}

/** Near-valid manifests: the right shape with values drawn from both sides of each rule, plus stray fields. */
const manifestLike = fc.record(
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

describe('image fuzzing', () => {
  let seeds: Uint8Array[];
  let wasm: Uint8Array;
  const limits: NodeLimits = { ...DEFAULT_NODE_LIMITS, maxImageBytes: 1 << 20 };

  before(async () => {
    wasm = await watToWasm(REACTOR_WAT);
    const files = new Map([['index.html', utf8.encode('<p>hi</p>')], ['css/a.css', utf8.encode('p{}')], ['z', new Uint8Array(300)]]);
    seeds = [
      encodeImage({ manifest: sampleManifest(), code: wasm }),
      encodeImage({ manifest: sampleManifest({ instances: { mode: 'per-key', key: { from: 'path', segment: 1 } }, routes: ['/a/*'] }), code: wasm, files }),
      encodeImage({ manifest: sampleManifest({ runtime: 'js', health: { path: '/h' } }), code: utf8.encode('export default {};'), files }),
    ];
  });

  it(`mutated images are decoded or refused with a typed error (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (seed, mutations, fixLength) => {
        const bytes = mutate(seeds[seed], mutations);
        outcome(() => decodeImage(fixLength ? withTrueLength(bytes) : bytes, limits));
      }),
      { numRuns: RUNS },
    );
  });

  it(`every truncation is refused (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.nat(), (seed, cut) => {
        assert.equal(outcome(() => decodeImage(seeds[seed].slice(0, cut % seeds[seed].length), limits)), 'refused');
      }),
      { numRuns: RUNS },
    );
  });

  it(`hand-assembled section lists with hostile lengths are decoded or refused (${RUNS} runs)`, () => {
    const section = fc.record({
      id: fc.oneof(fc.constantFrom(1, 2, 3), fc.nat({ max: 255 })),
      payload: fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constant(utf8.encode(canonicalJson(sampleManifest())))),
      declaredLength: fc.option(fc.oneof(fc.nat({ max: 0xffff_ffff }), fc.constantFrom(0xffff_ffff, 65_537))),
    });
    fc.assert(
      fc.property(fc.array(section, { maxLength: 5 }), fc.constantFrom(1, 1, 1, 0, 2, 0xffff_ffff), (sections, version) => {
        const raw = sections.map((s): RawSection => [s.id, s.payload, s.declaredLength ?? undefined]);
        outcome(() => decodeImage(assemble(raw, version), limits));
      }),
      { numRuns: RUNS },
    );
  });

  it(`random manifests are validated or refused with a ManifestError (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.oneof(manifestLike, fc.anything(), fc.jsonValue()), fc.constantFrom('build' as const, 'load' as const), (raw, origin) => {
        const started = performance.now();
        try {
          validateManifest(raw, origin);
        } catch (e) {
          if (!(e instanceof ManifestError)) throw new Error(`escaped a non-typed error: ${String(e)}`);
          assert.ok(e.hint.length > 0);
        }
        assert.ok(performance.now() - started < MAX_DECODE_MS);
      }),
      { numRuns: RUNS },
    );
  });

  it(`random manifests embedded in images round-trip or are refused (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(manifestLike, fc.boolean(), (raw, canonical) => {
        let manifest;
        try {
          manifest = validateManifest(raw, 'load');
        } catch (e) {
          assert.ok(e instanceof ManifestError);
        }
        // A valid manifest round-trips exactly; any manifest written raw into an image is decoded or refused.
        if (manifest) assert.deepEqual(decodeImage(encodeImage({ manifest, code: wasm })).manifest, manifest);
        const text = canonical ? canonicalJson(raw) : JSON.stringify(raw);
        outcome(() => decodeImage(assemble([[1, utf8.encode(text)], [2, wasm]]), limits));
      }),
      { numRuns: RUNS },
    );
  });

  it('oversized images are refused before they are read', () => {
    const big = new Uint8Array(limits.maxImageBytes + 1);
    big.set(seeds[1]);
    assert.throws(() => decodeImage(big, limits), (e: unknown) => e instanceof ImageError && e.code === 'too_large');
  });
});

/**
 * Hostile images and manifests: every input must end as a decoded image or a typed refusal
 * (ImageError / ManifestError), quickly, and nothing else may escape. Case counts and the seed
 * follow test/fuzz/runs.ts; the manifest parser on its own is manifest.fuzz.test.ts.
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
import { byteMutation, mutate } from './byte-mutations.js';
import { manifestLike } from './manifest-arbitraries.js';
import { fuzzParameters, fuzzRuns, fuzzSuite } from './runs.js';

const RUNS = 2000;
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

const mutation = byteMutation();

describe(fuzzSuite('image fuzzing'), () => {
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

  it(`mutated images are decoded or refused with a typed error (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (seed, mutations, fixLength) => {
        const bytes = mutate(seeds[seed], mutations);
        outcome(() => decodeImage(fixLength ? withTrueLength(bytes) : bytes, limits));
      }),
      fuzzParameters(RUNS),
    );
  });

  it(`every truncation is refused (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.nat(), (seed, cut) => {
        assert.equal(outcome(() => decodeImage(seeds[seed].slice(0, cut % seeds[seed].length), limits)), 'refused');
      }),
      fuzzParameters(RUNS),
    );
  });

  it(`hand-assembled section lists with hostile lengths are decoded or refused (${fuzzRuns(RUNS)} runs)`, () => {
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
      fuzzParameters(RUNS),
    );
  });

  it(`random manifests embedded in images round-trip or are refused (${fuzzRuns(RUNS)} runs)`, () => {
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
      fuzzParameters(RUNS),
    );
  });

  it('oversized images are refused before they are read', () => {
    const big = new Uint8Array(limits.maxImageBytes + 1);
    big.set(seeds[1]);
    assert.throws(() => decodeImage(big, limits), (e: unknown) => e instanceof ImageError && e.code === 'too_large');
  });
});

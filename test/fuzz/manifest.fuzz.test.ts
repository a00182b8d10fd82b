/**
 * The manifest parser under hostile input: any value ends as a valid Manifest or a ManifestError
 * naming the broken field, quickly; nothing else escapes; and validating a result again gives the
 * same result (the image embeds the normalized manifest, which is validated again at load).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ManifestError, type ManifestOrigin } from '../../src/image/errors.js';
import { shortKey } from '../../src/image/field-reader.js';
import { validateManifest, type Manifest } from '../../src/image/manifest.js';
import { hostileValue, manifestLike, manifestMutation, mutateManifest, validManifest } from './manifest-arbitraries.js';
import { fuzzParameters, fuzzRuns, fuzzSuite } from './runs.js';

const RUNS = 2000;
/** Far above a normal validation (microseconds), far below anything a person would call a hang. */
const MAX_VALIDATE_MS = 1000;
const origins = fc.constantFrom<ManifestOrigin>('build', 'load');

/** Validates `raw`; anything but a Manifest or a well-formed ManifestError fails the property. */
function validate(raw: unknown, origin: ManifestOrigin): Manifest | ManifestError {
  const started = performance.now();
  try {
    return validateManifest(raw, origin);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw new Error(`escaped a non-typed error: ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.code, 'invalid_manifest');
    assert.equal(e.origin, origin);
    assert.ok(e.message.startsWith(origin === 'build' ? 'flick.json: ' : 'image manifest: '), e.message);
    if (e.path !== '') assert.ok(e.message.includes(e.path), `the message names the field: ${e.message}`);
    assert.ok(e.hint.length > 0, 'a hint');
    assert.ok(e.message.length < 1000, 'a message of bounded size, whatever the input');
    return e;
  } finally {
    const elapsed = performance.now() - started;
    assert.ok(elapsed < MAX_VALIDATE_MS, `validation took ${elapsed.toFixed(0)} ms`);
  }
}

/** A valid result validates again to itself, from an image (load) or a flick.json (build), also after a JSON round trip. */
function assertIdempotent(manifest: Manifest): void {
  const json = JSON.parse(JSON.stringify(manifest));
  assert.deepEqual(json, manifest, 'plain JSON data');
  for (const again of [validate(manifest, 'load'), validate(manifest, 'build'), validate(json, 'load')]) assert.deepEqual(again, manifest);
}

/** Fields whose value decides whether another field is valid (abi needs wasm; messaging needs the flick ABI). */
const RELATED = new Map([['runtime', ['abi', 'capabilities']], ['abi', ['capabilities']], ['build', ['abi', 'capabilities']]]);

/** Does the error's path (`resources.memoryMiB`, `routes[2]`) lie under the top-level field `top`? */
function blames(error: ManifestError, top: string): boolean {
  return error.path === top || error.path.startsWith(`${top}.`) || error.path.startsWith(`${top}[`);
}

describe(fuzzSuite('manifest fuzzing'), () => {
  it(`valid manifests are accepted, and validating the result again gives the same (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(
      fc.property(validManifest, origins, (raw, origin) => {
        const out = validate(raw, origin);
        assert.ok(!(out instanceof ManifestError), `a valid manifest was refused: ${out instanceof ManifestError ? out.message : ''}`);
        assertIdempotent(out);
      }),
      fuzzParameters(RUNS),
    );
  });

  it(`broken fields of valid manifests are refused naming that field (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(
      fc.property(validManifest, fc.array(manifestMutation, { minLength: 1, maxLength: 3 }), origins, (valid, mutations, origin) => {
        const { manifest, touched } = mutateManifest(valid, mutations);
        const out = validate(manifest, origin);
        if (!(out instanceof ManifestError)) return assertIdempotent(out);
        if (touched.some((p) => p.length === 0)) return; // the whole manifest was replaced
        // Keys are shown shortened in errors (a 1 MB key must not make a 1 MB message).
        const suspects = touched.map((p) => shortKey(String(p[0]))).flatMap((top) => [top, ...(RELATED.get(top) ?? [])]);
        assert.ok(suspects.some((top) => blames(out, top)), `the error names ${out.path || 'the manifest'}, but only ${touched.map((p) => p.join('.')).join(', ')} changed: ${out.message}`);
      }),
      fuzzParameters(RUNS),
    );
  });

  it(`arbitrary values and loosely shaped manifests are validated or refused with a ManifestError (${fuzzRuns(RUNS)} runs)`, () => {
    fc.assert(
      fc.property(fc.oneof(manifestLike, fc.anything(), fc.jsonValue(), hostileValue), origins, (raw, origin) => {
        const out = validate(raw, origin);
        if (!(out instanceof ManifestError)) assertIdempotent(out);
      }),
      fuzzParameters(RUNS),
    );
  });

  it(`arbitrary JSON text parsed as flick.json is validated or refused (${fuzzRuns(RUNS)} runs)`, () => {
    // What `flick build` reads: JSON.parse of the file, so keys like "__proto__" arrive as own fields.
    const text = fc.oneof(fc.json(), validManifest.map((m) => JSON.stringify(m).replace(/"(\w+)":/, '"__proto__":')), validManifest.map((m) => JSON.stringify(m)));
    fc.assert(
      fc.property(text, origins, (json, origin) => {
        const out = validate(JSON.parse(json), origin);
        if (!(out instanceof ManifestError)) assertIdempotent(out);
      }),
      fuzzParameters(RUNS),
    );
  });

  it('regression: an unknown field with a 1 MB name is named shortened, not copied whole into the message', () => {
    const error = validate({ name: 'a', version: '1.0.0', ['k'.repeat(1 << 20)]: 1 }, 'build');
    assert.ok(error instanceof ManifestError);
    assert.equal(error.path, `${'k'.repeat(40)}…`);
  });

  it('regression: -0 (as JSON.parse reads "-0") is normalized to 0, so the result survives a JSON round trip unchanged', () => {
    const manifest = validate(JSON.parse('{"name": "a", "version": "1.0.0", "hibernate": {"idleMs": -0}}'), 'build');
    assert.ok(!(manifest instanceof ManifestError));
    assert.ok(Object.is(manifest.hibernate.idleMs, 0));
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { canonicalJson } from '../../src/image/canonical-json.js';
import { ImageError, ManifestError, type ImageErrorCode } from '../../src/image/errors.js';
import { decodeImage, encodeImage, imageId } from '../../src/image/format.js';
import { DEFAULT_NODE_LIMITS } from '../../src/image/limits.js';
import { validateManifest } from '../../src/image/manifest.js';
import { assemble, REACTOR_WAT, sampleManifest, u32, watToWasm } from './fixtures.js';

const utf8 = new TextEncoder();
const files = new Map([
  ['static/index.html', utf8.encode('<p>hi</p>')],
  ['robots.txt', utf8.encode('User-agent: *\n')],
  ['static/css/site.css', new Uint8Array(0)],
]);

function fileTree(entries: Array<[string, string]>, count = entries.length): Uint8Array {
  const parts: Uint8Array[] = [u32(count)];
  for (const [path, data] of entries) {
    const p = utf8.encode(path);
    parts.push(Uint8Array.of(p.length & 0xff, p.length >> 8), p, u32(utf8.encode(data).length), utf8.encode(data));
  }
  return new Uint8Array(Buffer.concat(parts));
}

function refused(bytes: Uint8Array, code: ImageErrorCode, limits = DEFAULT_NODE_LIMITS): ImageError {
  try {
    decodeImage(bytes, limits);
  } catch (e) {
    assert.ok(e instanceof ImageError, `expected ImageError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.hint.length > 0);
    return e;
  }
  assert.fail(`expected the image to be refused with ${code}`);
}

describe('image format', () => {
  let wasm: Uint8Array;
  let manifestBytes: Uint8Array;
  before(async () => {
    wasm = await watToWasm(REACTOR_WAT);
    manifestBytes = utf8.encode(canonicalJson(sampleManifest()));
  });

  it('round-trips manifest, code and files', () => {
    const manifest = sampleManifest({ resources: { memoryMiB: 2 }, capabilities: { kv: ['data'] } });
    const bytes = encodeImage({ manifest, code: wasm, files });
    const image = decodeImage(bytes, DEFAULT_NODE_LIMITS);
    assert.deepEqual(image.manifest, manifest);
    assert.deepEqual(image.code, wasm);
    assert.deepEqual([...image.files.keys()], ['robots.txt', 'static/css/site.css', 'static/index.html']);
    assert.deepEqual(image.files.get('static/index.html'), files.get('static/index.html'));
    assert.equal(image.id, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    assert.equal(image.id, imageId(bytes));
  });

  it('round-trips a JS image', () => {
    const code = utf8.encode('export default { fetch() { return new Response("hi ✓"); } };\n');
    const image = decodeImage(encodeImage({ manifest: sampleManifest({ runtime: 'js' }), code }));
    assert.equal(image.manifest.runtime, 'js');
    assert.deepEqual(image.code, code);
    assert.equal(image.files.size, 0);
  });

  it('gives one encoding per image, whatever the order of keys and files', () => {
    const a = validateManifest({ name: 'x', version: '1.0.0', resources: { deadlineMs: 900, memoryMiB: 4 } }, 'load');
    const b = validateManifest({ resources: { memoryMiB: 4, deadlineMs: 900 }, version: '1.0.0', name: 'x' }, 'load');
    const reversed = new Map([...files].reverse());
    assert.deepEqual(encodeImage({ manifest: a, code: wasm, files }), encodeImage({ manifest: b, code: wasm, files: reversed }));
  });

  it('copies code and files out of the input, even from a Buffer', () => {
    const bytes = Buffer.from(encodeImage({ manifest: sampleManifest(), code: wasm, files }));
    const image = decodeImage(bytes);
    bytes.fill(0);
    assert.ok(WebAssembly.validate(image.code));
    assert.deepEqual(image.files.get('robots.txt'), files.get('robots.txt'));
  });

  it('refuses files that are not images', () => {
    refused(utf8.encode('{"name":"hello"}'), 'bad_magic');
    refused(wasm, 'bad_magic');
  });

  it('refuses other format versions', () => {
    refused(assemble([[1, manifestBytes], [2, wasm]], 2), 'unsupported_version');
  });

  it('refuses every truncation of a valid image', () => {
    const bytes = encodeImage({ manifest: sampleManifest(), code: wasm, files });
    for (let length = 0; length < bytes.length; length++) {
      assert.throws(() => decodeImage(bytes.subarray(0, length)), ImageError, `prefix of ${length} bytes`);
    }
    refused(bytes.subarray(0, 20), 'truncated');
  });

  it('refuses bytes appended to an image', () => {
    const bytes = encodeImage({ manifest: sampleManifest(), code: wasm });
    refused(new Uint8Array(Buffer.concat([bytes, Uint8Array.of(2, 0, 0, 0, 0)])), 'trailing_data');
  });

  it('refuses lengths that point past the end, without allocating them', () => {
    refused(assemble([[1, manifestBytes], [2, wasm, 0xffff_ffff]]), 'truncated');
    refused(assemble([[1, manifestBytes, 0xffff_ffff]]), 'section_too_large');
    refused(assemble([[1, manifestBytes], [2, wasm], [3, fileTree([['a', 'x']]), 0xffff_fff0]]), 'truncated');
  });

  it('refuses unknown, repeated, misordered and missing sections', () => {
    refused(assemble([[1, manifestBytes], [2, wasm], [9, new Uint8Array(0)]]), 'unknown_section');
    refused(assemble([[1, manifestBytes], [2, wasm], [2, wasm]]), 'duplicate_section');
    refused(assemble([[2, wasm], [1, manifestBytes]]), 'section_order');
    refused(assemble([[1, manifestBytes]]), 'missing_section');
    refused(assemble([[2, wasm]]), 'missing_section');
  });

  it('refuses a manifest that is not UTF-8, not JSON, or not canonical', () => {
    refused(assemble([[1, Uint8Array.of(0x7b, 0xff, 0x7d)], [2, wasm]]), 'bad_utf8');
    refused(assemble([[1, utf8.encode('{"name":')], [2, wasm]]), 'bad_manifest_json');
    refused(assemble([[1, utf8.encode(JSON.stringify(sampleManifest(), null, 2))], [2, wasm]]), 'manifest_not_canonical');
    refused(assemble([[1, utf8.encode(canonicalJson({ name: 'sample', version: '1.0.0' }))], [2, wasm]]), 'manifest_not_canonical');
  });

  it('refuses an invalid manifest with the field that is wrong', () => {
    const bad = { ...sampleManifest(), resources: { memoryMiB: 0, cpuMsPerCall: 50, deadlineMs: 5000 } };
    assert.throws(
      () => decodeImage(assemble([[1, utf8.encode(canonicalJson(bad))], [2, wasm]])),
      (e: unknown) => e instanceof ManifestError && e.path === 'resources.memoryMiB' && e.origin === 'load',
    );
  });

  it('refuses images bigger or hungrier than the node allows', () => {
    const bytes = encodeImage({ manifest: sampleManifest({ resources: { memoryMiB: 512 } }), code: wasm });
    refused(bytes, 'too_large', { ...DEFAULT_NODE_LIMITS, maxImageBytes: bytes.length - 1 });
    assert.throws(
      () => decodeImage(bytes, { ...DEFAULT_NODE_LIMITS, maxMemoryMiB: 256 }),
      (e: unknown) => e instanceof ManifestError && e.code === 'exceeds_node_limit' && e.path === 'resources.memoryMiB',
    );
    decodeImage(bytes, { ...DEFAULT_NODE_LIMITS, maxImageBytes: bytes.length });
  });

  it('refuses malformed file trees', () => {
    const image = (tree: Uint8Array): Uint8Array => assemble([[1, manifestBytes], [2, wasm], [3, tree]]);
    refused(image(fileTree([['b', '1'], ['a', '2']])), 'bad_file_tree');
    refused(image(fileTree([['a', '1'], ['a', '2']])), 'bad_file_tree');
    refused(image(fileTree([['../etc/passwd', 'x']])), 'bad_file_tree');
    refused(image(fileTree([['/abs', 'x']])), 'bad_file_tree');
    refused(image(fileTree([['a', '1'], ['a/b', '2']])), 'bad_file_tree');
    refused(image(fileTree([['a', '1']], 0xffff_ffff)), 'bad_file_tree');
    refused(image(new Uint8Array(Buffer.concat([fileTree([['a', '1']]), Uint8Array.of(0)]))), 'bad_file_tree');
    refused(image(fileTree([['a', '1']], 2)), 'bad_file_tree');
  });

  it('refuses code that does not match the runtime', () => {
    refused(encodeImage({ manifest: sampleManifest(), code: utf8.encode('export default {}') }), 'bad_code');
    refused(encodeImage({ manifest: sampleManifest(), code: Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff) }), 'bad_code');
    refused(encodeImage({ manifest: sampleManifest({ runtime: 'js' }), code: Uint8Array.of(0xc3, 0x28) }), 'bad_code');
  });

  it('refuses file trees it cannot encode', () => {
    assert.throws(() => encodeImage({ manifest: sampleManifest(), code: wasm, files: new Map([['a/../b', new Uint8Array(0)]]) }), ImageError);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBuildMatchesRuntime, readBuildSpec } from '../../src/image/build-spec.js';
import { ManifestError } from '../../src/image/errors.js';
import { sampleManifest } from './fixtures.js';

function refusedAt(raw: unknown, path: string): void {
  assert.throws(() => readBuildSpec(raw), (e: unknown) => e instanceof ManifestError && e.path === path && e.hint.length > 0 && e.message.startsWith('flick.json: '));
}

describe('readBuildSpec', () => {
  it('reads each kind, with the incremental AssemblyScript runtime by default', () => {
    assert.deepEqual(readBuildSpec({ kind: 'assemblyscript', entry: 'assembly/index.ts' }), { kind: 'assemblyscript', entry: 'assembly/index.ts', runtime: 'incremental' });
    assert.deepEqual(readBuildSpec({ kind: 'assemblyscript', entry: 'a.ts', runtime: 'stub', files: 'static' }), { kind: 'assemblyscript', entry: 'a.ts', runtime: 'stub', files: 'static' });
    assert.deepEqual(readBuildSpec({ kind: 'wasm', path: 'app.wasm', command: ['make'] }), { kind: 'wasm', path: 'app.wasm', command: ['make'] });
    assert.deepEqual(readBuildSpec({ kind: 'js', entry: 'src/index.ts' }), { kind: 'js', entry: 'src/index.ts' });
  });

  const cases: Array<[string, unknown, string]> = [
    ['a missing section', undefined, 'build'],
    ['a missing kind', { entry: 'a.ts' }, 'build.kind'],
    ['an unknown kind', { kind: 'rust' }, 'build.kind'],
    ['a missing entry', { kind: 'js' }, 'build.entry'],
    ['an entry outside the app', { kind: 'js', entry: '../other/index.ts' }, 'build.entry'],
    ['an absolute path', { kind: 'wasm', path: '/tmp/app.wasm' }, 'build.path'],
    ['an unknown AssemblyScript runtime', { kind: 'assemblyscript', entry: 'a.ts', runtime: 'fast' }, 'build.runtime'],
    ['a field of another kind', { kind: 'assemblyscript', entry: 'a.ts', path: 'a.wasm' }, 'build.path'],
    ['a command as a string', { kind: 'wasm', path: 'a.wasm', command: 'make all' }, 'build.command'],
    ['an empty command', { kind: 'wasm', path: 'a.wasm', command: [] }, 'build.command'],
    ['a command argument that is not a string', { kind: 'wasm', path: 'a.wasm', command: ['make', 1] }, 'build.command[1]'],
    ['a files directory with a trailing slash', { kind: 'js', entry: 'a.ts', files: 'static/' }, 'build.files'],
  ];
  for (const [what, raw, path] of cases) {
    it(`refuses ${what}, naming ${path}`, () => refusedAt(raw, path));
  }

  it('suggests the field meant', () => {
    assert.throws(() => readBuildSpec({ kind: 'js', entyr: 'a.ts' }), (e: unknown) => e instanceof ManifestError && e.hint === 'did you mean "entry"?');
  });

  it('requires the runtime that the build kind produces', () => {
    checkBuildMatchesRuntime(readBuildSpec({ kind: 'wasm', path: 'a.wasm' }), sampleManifest());
    assert.throws(() => checkBuildMatchesRuntime(readBuildSpec({ kind: 'js', entry: 'a.ts' }), sampleManifest()), (e: unknown) => e instanceof ManifestError && e.path === 'runtime');
  });
});

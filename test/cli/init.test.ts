// `flick init` templates build and run with no edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { buildImage } from '../../src/image/build.js';
import { decodeImage } from '../../src/image/format.js';
import { prepareWasm } from '../../src/runtime/wasm/prepare.js';
import { WasmApp } from '../../src/runtime/wasm/app.js';
import { JsApp } from '../../src/runtime/js/app.js';
import type { GuestRequest } from '../../src/runtime/request.js';

const get = (url: string): GuestRequest => ({ method: 'GET', url, headers: [['host', 'x.localhost']], body: new Uint8Array(0) });

const CASES = [
  ['hello', '/hi', /hello from flick: GET \/hi/],
  ['counter', '/', /"count":1/],
  ['kv', '/', /usage/], // a bare path answers without touching the KV store
  ['wagi-c', '/hi', /hello from C: GET \/hi/],
  ['ts', '/hi', /hello from TypeScript: GET \/hi/],
] as const;

for (const [template, url, expect] of CASES) {
  test(`flick init --template ${template}: builds and answers, unedited`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'flick-init-'));
    try {
      const dir = join(root, `my-${template}`);
      assert.equal(await main(['init', dir, '--template', template]), 0);
      const built = await buildImage(dir);
      assert.equal(built.manifest.name, `my-${template}`);
      const image = decodeImage(built.bytes);
      const app = image.manifest.runtime === 'js'
        ? new JsApp(image.manifest, image.code)
        : new WasmApp(image.manifest, prepareWasm(image.manifest, image.code, image.id));
      const res = await app.spawn().handle(get(url));
      assert.match(Buffer.from(res.body).toString(), expect);
      app.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('flick init refuses a non-empty directory and an unknown template, with exit code 2 for usage', async () => {
  const root = mkdtempSync(join(tmpdir(), 'flick-init-'));
  try {
    assert.equal(await main(['init', join(root, 'x'), '--template', 'cobol']), 2);
    assert.equal(await main(['init', join(root, 'Bad_Name')]), 2);
    assert.equal(await main(['init', join(root, 'ok')]), 0);
    assert.equal(await main(['init', join(root, 'ok')]), 1, 'never overwrites');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

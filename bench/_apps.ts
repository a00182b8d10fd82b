/** Apps the benchmarks load: the real examples (built by `npm ci`), and generated fixtures. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, type Image } from '../src/image/format.js';
import { buildImage } from '../src/image/build.js';
import { prepareWasm } from '../src/runtime/wasm/prepare.js';
import { WasmApp, type WasmAppOptions } from '../src/runtime/wasm/app.js';
import { examplesDir } from '../src/host/install-root.js';
import type { GuestRequest } from '../src/runtime/request.js';

export async function exampleImage(name: string): Promise<Image> {
  const file = join(examplesDir, name, 'build', `${name}.flick`);
  const bytes = existsSync(file) ? readFileSync(file) : (await buildImage(join(examplesDir, name))).bytes;
  return decodeImage(bytes);
}

export function loadApp(image: Image, opts: WasmAppOptions = {}): WasmApp {
  return new WasmApp(image.manifest, prepareWasm(image.manifest, image.code, image.id), opts);
}

export function getRequest(url = '/', headers: Array<[string, string]> = []): GuestRequest {
  return { method: 'GET', url, headers: [['host', 'bench.localhost'], ...headers], body: new Uint8Array(0) };
}

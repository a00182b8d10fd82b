/**
 * Where this flick installation lives (the repository checkout): found by walking up from this
 * module to the root package.json, so it works from `dist/` and from the TypeScript sources alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT_PACKAGE = 'flick-platform';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === ROOT_PACKAGE) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the flick installation (no package.json named ${ROOT_PACKAGE} above ${fileURLToPath(import.meta.url)})`);
    dir = up;
  }
}

export const installRoot = findRoot();
export const examplesDir = join(installRoot, 'examples');
/** Compiled benchmarks: `flick bench` runs these (node cannot run the .ts sources without a loader). */
export const benchDistDir = join(installRoot, 'dist', 'bench');

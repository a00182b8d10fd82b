/**
 * Bundles the dashboard's browser code (src/dashboard/client, uPlot and its CSS) with esbuild into
 * one script and one stylesheet: no CDN, nothing fetched at run time. `npm run build` writes the
 * bundle to dist/dashboard (running this module); a node running from the TypeScript sources
 * bundles in memory on the first request instead, so it never serves a stale build.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { installRoot } from '../host/install-root.js';

export interface DashboardBundle {
  js: string;
  css: string;
}

const ENTRY = join(installRoot, 'src', 'dashboard', 'client', 'main.ts');
export const BUNDLE_DIR = join(installRoot, 'dist', 'dashboard');

export async function bundleDashboard(): Promise<DashboardBundle> {
  const out = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    outdir: 'out',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const pick = (ext: string) => out.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: pick('.js'), css: pick('.css') };
}

/** The bundle `npm run build` made, when this module runs compiled and that bundle exists. */
export function prebuiltBundle(): DashboardBundle | null {
  if (import.meta.url.endsWith('.ts')) return null;
  const js = join(BUNDLE_DIR, 'main.js');
  if (!existsSync(js)) return null;
  return { js: readFileSync(js, 'utf8'), css: readFileSync(join(BUNDLE_DIR, 'main.css'), 'utf8') };
}

// `node dist/src/dashboard/bundle.js`: the build step of scripts/build.mjs.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = await bundleDashboard();
  mkdirSync(BUNDLE_DIR, { recursive: true });
  writeFileSync(join(BUNDLE_DIR, 'main.js'), bundle.js);
  writeFileSync(join(BUNDLE_DIR, 'main.css'), bundle.css);
}

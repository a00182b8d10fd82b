#!/usr/bin/env node
// `npm ci` runs this (the `prepare` script): compile the TypeScript, then build the example apps
// into images with the freshly compiled `flick build`, so `npx flick up --demo` has them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function step(name, cmd, args) {
  const t = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${name} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  console.error(`build: ${name} done in ${Date.now() - t} ms`);
}

step('typescript', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
step('dashboard', process.execPath, ['dist/src/dashboard/bundle.js']);
if (existsSync('scripts/build-examples.mjs')) step('examples', process.execPath, ['scripts/build-examples.mjs']);

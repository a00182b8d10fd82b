#!/usr/bin/env node
// Runs the test suite with Node's built-in runner through tsx.
// V8's wasm trap handler reserves ~10 GB of address space per memory; flick runs without it
// (see docs/decisions.md), and so do the tests, so they see the same limits the node does.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  else if (p.endsWith('.test.ts')) files.push(p);
};
for (const r of roots) walk(r);

const prep = spawnSync('bash', ['scripts/install-system-deps.sh', 'all'], { stdio: 'inherit' });
if (prep.status !== 0) process.exit(prep.status ?? 1);

const args = [
  // No --expose-gc: V8 flags reach every isolate, and JS guests would see a gc() global.
  '--disable-wasm-trap-handler', '--import', 'tsx',
  '--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec',
  ...files,
];
// Nodes started by tests log at warn: their info lines (every deploy phase) would bury the report.
const env = { ...process.env, FLICK_LOG_LEVEL: process.env.FLICK_LOG_LEVEL ?? 'warn' };
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env });
process.exit(r.status ?? 1);

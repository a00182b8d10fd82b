/**
 * wrk (Debian package `wrk`, `scripts/install-system-deps.sh bench`) as the load generator: a
 * separate process, so the same generator, at the same settings, measures flick and its peers
 * without sharing an event loop with either.
 */
import { spawn, spawnSync } from 'node:child_process';
import { killOnExit } from './_node-process.js';

export interface WrkOptions {
  url: string;
  /** Host header (apps are routed by it). */
  host?: string;
  connections: number;
  threads: number;
  seconds: number;
}

export interface WrkResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  /** Non-2xx answers plus socket errors (connect, read, write, timeout). */
  errors: number;
}

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

export function wrk(opts: WrkOptions): Promise<WrkResult> {
  const args = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--latency'];
  if (opts.host) args.push('-H', `Host: ${opts.host}`);
  args.push(opts.url);
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${out}`));
      try {
        resolve(parseWrk(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`wrk printed a duration flick cannot read: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

function field(out: string, re: RegExp): string {
  const m = re.exec(out);
  if (!m) throw new Error(`wrk output lacks ${re}:\n${out}`);
  return m[1];
}

export function parseWrk(out: string): WrkResult {
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return {
    rps: Number(field(out, /Requests\/sec:\s+([\d.]+)/)),
    p50_ms: durationMs(field(out, /^\s+50%\s+(\S+)\s*$/m)),
    p99_ms: durationMs(field(out, /^\s+99%\s+(\S+)\s*$/m)),
    requests: Number(field(out, /(\d+) requests in/)),
    errors,
  };
}

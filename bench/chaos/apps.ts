/**
 * The chaos run's apps, built from WAT (no compiler needed): `tally`, a per-key counter keyed by
 * the `x-key` header, and `pool`, a replicas app with one replica per node; both answer
 * `v<N>:<count>`, where N is the release's own number (its manifest version is `1.0.N`), so every
 * answer says which release served it. `stall` loops past the scheduler watchdog: asking it once
 * is how a scheduler thread is killed from outside.
 */
import { counterWat, LOOP_WAT, watImage } from '../../test/support/wat-apps.js';

export const TALLY = 'tally';
export const POOL = 'pool';
export const STALL = 'stall';
export const VERSIONED_APPS = [TALLY, POOL] as const;
export type VersionedApp = (typeof VERSIONED_APPS)[number];

export const KEY_HEADER = 'x-key';
export const POOL_REPLICAS = 3;

const MODES: Record<VersionedApp, Record<string, unknown>> = {
  tally: { mode: 'per-key', key: { from: 'header', name: KEY_HEADER } },
  pool: { mode: 'replicas', count: POOL_REPLICAS },
};

/** Release `n` of `app`: answers `v<n>:<count>`. */
export function versionedImage(app: VersionedApp, n: number): Uint8Array {
  return watImage(counterWat(`v${n}`), { name: app, version: `1.0.${n}`, instances: MODES[app] });
}

/**
 * A CPU budget (the most a node allows, 30 s) far past the node's watchdog (10 s, `stallMs`): one call keeps its scheduler thread
 * busy until the watchdog terminates the thread and starts a fresh one.
 */
export function stallImage(): Uint8Array {
  return watImage(LOOP_WAT, { name: STALL, resources: { memoryMiB: 1, cpuMsPerCall: 30_000, deadlineMs: 60_000 } });
}

/** The release tag of a manifest version `1.0.N`. */
export function tagOfVersion(version: string): string {
  return `v${version.split('.')[2]}`;
}

/** `v<n>:<count>` → its parts; null for anything else. */
export function parseAnswer(body: string): { tag: string; count: number } | null {
  const m = /^(v\d+):(\d+)$/.exec(body.trim());
  return m ? { tag: m[1], count: Number(m[2]) } : null;
}

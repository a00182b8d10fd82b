/**
 * The local development loop behind `flick dev`: a node in this process serving one app directory,
 * rebuilt and deployed again whenever a source file changes. Each rebuild goes through the normal
 * deploy (copy → start → health → upgrade → switch), so the swap is the route's atomic switch (no
 * request is dropped) and per-key state moves to the new build when it exports `flick_upgrade`.
 * A build or deploy that fails is reported and the previous build keeps serving.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Daemon } from './daemon.js';
import { TreeWatcher } from './tree-watcher.js';
import { buildImage, readAppConfig } from '../image/build.js';
import { DeployError } from '../control/deploy/engine.js';
import type { DeploymentRecord } from '../control/registry.js';
import { levelFromEnv } from '../telemetry/node-logger.js';
import { RerunQueue } from '../rerun-queue.js';

export interface DevLoopOptions {
  /** The app directory (holds flick.json). */
  dir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The node's data directory; without one, a temp directory that `stop` removes. */
  dataDir?: string;
  schedulers?: number;
  /** Quiet time after the last change before rebuilding: one save often writes several events. */
  debounceMs?: number;
  onEvent?: (event: DevEvent) => void;
}

/** Something went wrong in a way the developer fixes: one sentence and a hint. */
export interface DevProblem {
  message: string;
  hint: string;
}

export type DevEvent =
  | { kind: 'rebuild'; changed: string }
  | { kind: 'build-failed'; problem: DevProblem }
  /** The build gave the image already serving (e.g. only a comment changed): nothing to deploy. */
  | { kind: 'unchanged'; image: string }
  | { kind: 'deployed'; deployment: DeploymentRecord }
  | { kind: 'deploy-failed'; problem: DevProblem; deployment: DeploymentRecord | null };

export interface DevLoop {
  /** Where the app answers: http://NAME.localhost:PORT/ */
  url: string;
  app: string;
  daemon: Daemon;
  /** Stops watching, waits for a rebuild in progress, stops the node. */
  stop(): Promise<void>;
}

const DEFAULT_DEBOUNCE_MS = 150;

/** Starts the node, builds and deploys `dir` once (a failure is reported, not thrown), then watches it. */
export async function startDevLoop(opts: DevLoopOptions): Promise<DevLoop> {
  const dir = resolve(opts.dir);
  // An unreadable flick.json is fatal up front: without it there is no app name to serve under.
  const { manifest } = await readAppConfig(dir);
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flick-dev-'));
  const removeDataDir = () => ownsDataDir && rmSync(dataDir, { recursive: true, force: true });
  const emit = opts.onEvent ?? (() => {});
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      host: opts.host ?? '127.0.0.1',
      port: opts.port,
      dataDir,
      schedulers: opts.schedulers,
      // The node's own JSON lines (every deploy phase) would bury the dev output; FLICK_LOG_LEVEL still wins.
      telemetry: { logLevel: levelFromEnv('warn').level },
    });
  } catch (e) {
    removeDataDir();
    throw e;
  }

  const rebuilds = new RerunQueue(() => buildAndDeploy(daemon, dir, emit));
  let timer: NodeJS.Timeout | null = null;
  const watcher = new TreeWatcher(dir, (changed) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      emit({ kind: 'rebuild', changed });
      void rebuilds.run();
    }, opts.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  });
  // Watching starts first so that a save during the first build is not missed.
  await rebuilds.run();

  return {
    url: `http://${manifest.name}.localhost:${new URL(daemon.url).port}/`,
    app: manifest.name,
    daemon,
    async stop() {
      watcher.close();
      if (timer) clearTimeout(timer);
      await rebuilds.idle();
      await daemon.stop();
      removeDataDir();
    },
  };
}

async function buildAndDeploy(daemon: Daemon, dir: string, emit: (event: DevEvent) => void): Promise<void> {
  let built;
  try {
    built = await buildImage(dir);
  } catch (e) {
    return emit({ kind: 'build-failed', problem: problemOf(e, 'fix the error and save again; the previous build keeps serving') });
  }
  const route = await daemon.registry.route(built.manifest.name);
  const serving = route ? await daemon.registry.release(built.manifest.name, route.record.release) : null;
  if (serving?.image === built.id) return emit({ kind: 'unchanged', image: built.id });
  try {
    emit({ kind: 'deployed', deployment: await daemon.engine.deploy({ image: built.bytes }) });
  } catch (e) {
    emit({ kind: 'deploy-failed', problem: problemOf(e, 'fix the app and save again'), deployment: e instanceof DeployError ? e.deployment : null });
  }
}

function problemOf(e: unknown, fallbackHint: string): DevProblem {
  if (!(e instanceof Error)) return { message: String(e), hint: fallbackHint };
  const { hint } = e as Error & { hint?: unknown };
  return { message: e.message, hint: typeof hint === 'string' ? hint : fallbackHint };
}

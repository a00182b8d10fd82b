/**
 * What the WebSocket tests share: the examples/chat image, the refusal of an upgrade as a value,
 * and polling for what reaches an app asynchronously.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../../src/image/build.js';
import { examplesDir } from '../../src/host/install-root.js';
import { UpgradeRefused } from './socket-inbox.js';

/** examples/chat (a room per path segment 1), built by `npm run build` or here. */
export async function chatImage(): Promise<Uint8Array> {
  const built = join(examplesDir, 'chat', 'build', 'chat.flick');
  return existsSync(built) ? readFileSync(built) : (await buildImage(join(examplesDir, 'chat'))).bytes;
}

/** The refusal of an upgrade that was expected to be refused. */
export async function refusal(p: Promise<unknown>): Promise<UpgradeRefused> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UpgradeRefused) return e;
    throw e;
  }
  assert.fail('the upgrade was accepted');
}

/** Polls until `read` gives `expected` (events reach the app asynchronously); fails with the last value seen. */
export async function eventually<T>(read: () => T | Promise<T>, expected: T, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  let actual = await read();
  while (actual !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    actual = await read();
  }
  assert.equal(actual, expected);
}

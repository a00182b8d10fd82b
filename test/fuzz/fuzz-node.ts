/**
 * One real node for the network fuzz targets (control API, HTTP ingress), started in this process
 * and reused for every case: `alpha` (a per-request counter with two releases, so rollback has
 * somewhere to go), `pool` (two replicas, so scale, migrate and hibernate have instances) and
 * `echo` (answers with what it received, so the ingress fuzzer can tell which request an answer is for).
 */
import { DEFAULT_NODE_LIMITS } from '../../src/image/limits.js';
import { blobId } from '../../src/control/blob-store.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { counterWat, watImage } from '../support/wat-apps.js';

export const APPS = ['alpha', 'pool', 'echo'] as const;

/** Answers `METHOD URL\n` and the body (bodies over 256 KiB are left out). */
const ECHO_WAT = `(module
  (import "flick" "request_method" (func $method (param i32 i32) (result i32)))
  (import "flick" "request_url" (func $url (param i32 i32) (result i32)))
  (import "flick" "request_body" (func $body (param i32 i32) (result i32)))
  (import "flick" "response_write" (func $write (param i32 i32)))
  (import "flick" "memory" (memory 5 16))
  (data (i32.const 32) " \\0a")
  ;; Host calls fill the buffer only when the value fits: write what fits, skip what does not.
  (func $copy (param $len i32) (param $at i32) (param $cap i32)
    (if (i32.le_u (local.get $len) (local.get $cap)) (then (call $write (local.get $at) (local.get $len)))))
  (func (export "flick_handle")
    (call $copy (call $method (i32.const 0) (i32.const 32)) (i32.const 0) (i32.const 32))
    (call $write (i32.const 32) (i32.const 1))
    (call $copy (call $url (i32.const 64) (i32.const 65472)) (i32.const 64) (i32.const 65472))
    (call $write (i32.const 33) (i32.const 1))
    (call $copy (call $body (i32.const 65536) (i32.const 262144)) (i32.const 65536) (i32.const 262144))))`;
/** Images are small here; a lower ceiling lets the fuzzer cross it cheaply. */
export const MAX_IMAGE_BYTES = 256 << 10;

export interface FuzzNode {
  node: TestNode;
  /** An image the node holds and that deploys cleanly (as app `alpha`, or under another name). */
  image: { id: string; bytes: Uint8Array };
}

export async function startFuzzNode(): Promise<FuzzNode> {
  const node = await startNode({ telemetry: { logLevel: 'silent' }, limits: { ...DEFAULT_NODE_LIMITS, maxImageBytes: MAX_IMAGE_BYTES } });
  const bytes = watImage(counterWat('v2'), { name: 'alpha' });
  await node.deploy(watImage(counterWat('v1'), { name: 'alpha' }));
  await node.deploy(bytes);
  await node.deploy(watImage(counterWat('p'), { name: 'pool', instances: { mode: 'replicas', count: 2 } }));
  await node.deploy(watImage(ECHO_WAT, { name: 'echo' }));
  return { node, image: { id: blobId(bytes), bytes } };
}

/** What refused requests must leave alone: every app record in the store (with its revision) and the stored images. */
export async function storeState(node: TestNode): Promise<string> {
  const records = (await node.daemon.store.list('/flick/apps/')).map((kv) => `${kv.key}@${kv.revision}`);
  return JSON.stringify([records.sort(), node.daemon.blobs.list().sort()]);
}

/**
 * flick's message round trip between two instances, measured in this process on a real FlickNode
 * (the scheduler worker threads `flick up` runs, no HTTP): bench/fixtures/pingpong per key, a
 * request to key `a` starts a chain of messages with `b`, and the chain ends with a log line.
 * Each hop is the node's whole message path: the sender's call returns with a `send` effect →
 * `FlickNode.processes` → delivery to the receiver's scheduler thread → its `flick_message` →
 * the reply carries the next `send` back to the main thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlickNode } from '../src/node/node.js';
import { buildImage } from '../src/image/build.js';
import { decodeImage } from '../src/image/format.js';
import { installRoot } from '../src/host/install-root.js';
import type { LogLine } from '../src/node/scheduler/protocol.js';
import { getRequest } from './_apps.js';
import { nowUs } from './_harness.js';

const APP = 'pingpong';
const CHAIN_TIMEOUT_MS = 60_000;

export interface PingPongNode {
  /** `roundTrips` round trips (2 x roundTrips messages) between keys a and b; µs for the whole chain, from the request. */
  chain(roundTrips: number): Promise<number>;
  schedulers: number;
  close(): Promise<void>;
}

export async function startPingPongNode(): Promise<PingPongNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flick-pingpong-'));
  const node = new FlickNode({ dataDir });
  await node.ready();
  const image = decodeImage((await buildImage(join(installRoot, 'bench', 'fixtures', APP))).bytes);
  const release = `${APP}@${image.id}`;
  await node.addRelease(image, release);
  node.activate(APP, { release, canary: null });

  const chain = async (roundTrips: number): Promise<number> => {
    let onLog!: (l: LogLine) => void;
    let timer!: NodeJS.Timeout;
    const done = new Promise<void>((resolve, reject) => {
      onLog = (l) => {
        if (l.message === 'done') resolve();
        else if (l.level === 'warn' || l.level === 'error') reject(new Error(`pingpong: ${l.message}`));
      };
      timer = setTimeout(() => reject(new Error(`a chain of ${roundTrips} round trips did not end within ${CHAIN_TIMEOUT_MS} ms`)), CHAIN_TIMEOUT_MS);
      node.on('log', onLog);
    });
    try {
      const t0 = nowUs();
      const res = await node.dispatch(APP, getRequest('/', [['flick-key', 'a'], ['x-to', 'b'], ['x-hops', String(2 * roundTrips - 1)]]));
      if (res.status !== 200) throw new Error(`pingpong answered ${res.status}`);
      await done;
      return nowUs() - t0;
    } finally {
      clearTimeout(timer);
      node.off('log', onLog);
    }
  };

  return {
    chain,
    schedulers: node.schedulers.length,
    close: async () => {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

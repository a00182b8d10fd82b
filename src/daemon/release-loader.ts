/**
 * Brings a release from the store onto this node: its record from the registry, its image from the
 * blob store (hash verified), decoded and checked against the node's limits, then prepared and
 * loaded on every scheduler. Idempotent: a release already loaded is not loaded again.
 */
import { decodeImage } from '../image/format.js';
import type { NodeLimits } from '../image/limits.js';
import type { BlobStore } from '../control/blob-store.js';
import type { Registry, ReleaseRecord } from '../control/registry.js';
import type { FlickNode } from '../node/node.js';

export function releaseId(app: string, seq: number): string {
  return `${app}@${seq}`;
}

export class ReleaseLoader {
  constructor(
    private readonly registry: Registry,
    private readonly blobs: BlobStore,
    private readonly node: FlickNode,
    private readonly limits: NodeLimits,
  ) {}

  async ensure(app: string, seq: number): Promise<string> {
    const id = releaseId(app, seq);
    if (this.node.releases.has(id)) return id;
    const record = await this.registry.release(app, seq);
    if (!record) throw new Error(`release ${seq} of ${app} is not in the store`);
    this.load(record);
    return id;
  }

  load(record: ReleaseRecord): string {
    const id = releaseId(record.app, record.seq);
    if (this.node.releases.has(id)) return id;
    const image = decodeImage(this.blobs.get(record.image), this.limits);
    this.node.addRelease(image, id, record.manifest);
    return id;
  }
}

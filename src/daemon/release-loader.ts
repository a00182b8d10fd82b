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
    /** In a cluster: where to get an image this node does not have (peers, by hash). */
    private readonly fetchMissing: ((imageId: string) => Promise<Uint8Array | null>) | null = null,
  ) {}

  async ensure(app: string, seq: number): Promise<string> {
    const id = releaseId(app, seq);
    if (this.node.releases.has(id)) return id;
    const record = await this.registry.release(app, seq);
    if (!record) throw new Error(`release ${seq} of ${app} is not in the store`);
    if (!this.blobs.has(record.image) && this.fetchMissing) {
      const bytes = await this.fetchMissing(record.image);
      // put() re-hashes: bytes that do not match the id are refused, whoever sent them.
      if (bytes) this.blobs.put(bytes, record.image);
    }
    return this.load(record);
  }

  async load(record: ReleaseRecord): Promise<string> {
    const id = releaseId(record.app, record.seq);
    if (this.node.releases.has(id)) return id;
    const image = decodeImage(this.blobs.get(record.image), this.limits);
    await this.node.addRelease(image, id, record.manifest);
    return id;
  }
}

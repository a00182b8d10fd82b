/**
 * Images stored once by hash in the data directory (`blobs/sha256/<hex>`). A blob is written to a
 * temporary file, synced, then renamed into place, so a crash never leaves a half image under a
 * real name; every read re-hashes the bytes, so a damaged file is refused instead of served.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class BlobError extends Error {
  constructor(
    readonly code: 'bad_id' | 'not_found' | 'corrupt' | 'mismatch',
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'BlobError';
  }
}

const ID = /^sha256:([0-9a-f]{64})$/;

export function blobId(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class BlobStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'blobs', 'sha256');
    mkdirSync(this.dir, { recursive: true });
  }

  has(id: string): boolean {
    return existsSync(this.path(id));
  }

  /** Stores bytes; with `expectedId`, refuses bytes whose hash differs (a damaged upload). */
  put(bytes: Uint8Array, expectedId?: string): string {
    const id = blobId(bytes);
    if (expectedId !== undefined && expectedId !== id) {
      throw new BlobError('mismatch', `the bytes received hash to ${id}, not ${expectedId}`, 'the upload was damaged or truncated: send it again');
    }
    const file = this.path(id);
    if (existsSync(file)) {
      // A store of known bytes counts as fresh: garbage collection spares recently stored blobs
      // (a deploy records its release just after storing the image).
      const now = new Date();
      utimesSync(file, now, now);
      return id;
    }
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return id;
  }

  get(id: string): Uint8Array {
    const file = this.path(id);
    if (!existsSync(file)) throw new BlobError('not_found', `no image ${id} in this node's store`, 'deploy it (flick deploy) so that the node has it');
    const bytes = readFileSync(file);
    if (blobId(bytes) !== id) throw new BlobError('corrupt', `the stored image ${id} is damaged (its bytes no longer match its hash)`, 'deploy the image again; the damaged copy is ignored');
    return bytes;
  }

  delete(id: string): void {
    rmSync(this.path(id), { force: true });
  }

  /** Size and when the blob was last stored (ms since the epoch). */
  stat(id: string): { bytes: number; storedAt: number } {
    const st = statSync(this.path(id));
    return { bytes: st.size, storedAt: st.mtimeMs };
  }

  list(): string[] {
    return readdirSync(this.dir).filter((f) => /^[0-9a-f]{64}$/.test(f)).map((f) => `sha256:${f}`);
  }

  private path(id: string): string {
    const m = ID.exec(id);
    if (!m) throw new BlobError('bad_id', `'${id}' is not an image id`, 'an image id is sha256: followed by 64 lower-case hex digits (flick build prints it)');
    return join(this.dir, m[1]);
  }
}

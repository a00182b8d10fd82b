/**
 * What a node in a cluster does beyond a single node: one API token for the whole cluster (kept in
 * the store, so the CLI can talk to any node), membership under a lease, and images fetched by
 * hash from the peers that have them (verified on arrival).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../control/store/store.js';
import { NODES_PREFIX, type MemberInfo } from '../cluster/membership.js';
import { TOKEN_FILE } from './token.js';

export interface ClusterOptions {
  /** etcd client URLs. */
  etcd: string[];
  nodeName: string;
  zone?: string;
  rack?: string;
  /** Address peers and clients reach this node at (default: its listen URL). */
  advertise?: string;
}

const TOKEN_KEY = '/flick/cluster/token';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The cluster's token: the first node to start makes it; every node keeps a copy in its data directory for the local CLI. */
export async function clusterToken(store: Store, dataDir: string, candidate: string): Promise<string> {
  const existing = await store.get(TOKEN_KEY);
  let token = existing ? dec.decode(existing.value) : candidate;
  if (!existing) {
    const r = await store.putIf(TOKEN_KEY, enc.encode(candidate), 0);
    if (!r.ok) token = dec.decode(r.current!.value);
  }
  writeFileSync(join(dataDir, TOKEN_FILE), `${token}\n`, { mode: 0o600 });
  return token;
}

export async function clusterMembers(store: Store): Promise<MemberInfo[]> {
  return (await store.list(NODES_PREFIX)).map((kv) => JSON.parse(dec.decode(kv.value)) as MemberInfo);
}

/** Asks each other member for an image by id; the caller verifies the bytes against the id. */
export async function fetchImageFromPeers(store: Store, self: string, id: string, token: string): Promise<Uint8Array | null> {
  for (const peer of await clusterMembers(store)) {
    if (peer.name === self) continue;
    try {
      const res = await fetch(`${peer.address}/_flick/api/images/${id}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      if (res.ok) return new Uint8Array(await res.arrayBuffer());
    } catch {
      // That peer is unreachable: try the next one.
    }
  }
  return null;
}

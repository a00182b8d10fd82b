/**
 * Which node owns a per-key instance: rendezvous (highest random weight) hashing of the key over
 * the live nodes. Every node computes the same owner from the same membership, with no table to
 * keep in sync; when a node joins or leaves, only the keys whose highest-scoring node changed move
 * (about 1/N of them), and a leaving node's keys spread over all the others.
 */
import { createHash } from 'node:crypto';

/** A 64-bit score of (node, key); the node with the highest score owns the key. */
function score(node: string, key: string): bigint {
  return createHash('sha256').update(node).update('\0').update(key).digest().readBigUInt64BE(0);
}

export function ownerOf(key: string, nodes: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = -1n;
  for (const node of nodes) {
    const s = score(node, key);
    // Ties (astronomically rare) go to the smaller name, so every node agrees.
    if (s > bestScore || (s === bestScore && best !== null && node < best)) {
      best = node;
      bestScore = s;
    }
  }
  return best;
}

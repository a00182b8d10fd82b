/**
 * Where replicas go: spread over failure domains first — zone, then rack, host, data disk, CPU
 * cache group — and only then packed by memory (best fit: the fullest node that still has room),
 * so that losing one zone, host or disk takes as few replicas as the cluster allows, and free
 * memory stays in large pieces for big instances.
 *
 * Greedy and lexicographic: each replica goes to the slot whose domains collide least with the
 * replicas already placed, comparing zone collisions first, then rack, host, disk, cache group.
 * With one domain value per slot, this uses as many distinct zones as exist (up to the count), and
 * within that as many hosts, disks and cache groups as exist.
 *
 * Re-placing (a member left, the pool was resized) passes where each replica runs now: a replica
 * stays on its node unless moving it would spread the pool over more failure domains, because a
 * move costs the replica its in-memory state. Stickiness ranks after every domain and before
 * memory, so it never buys stability with a shared failure domain.
 */
import type { Topology } from './topology.js';
import { HintedError } from '../hinted-error.js';

export interface Candidate {
  node: string;
  topology: Topology;
  /** Memory the node can still give to instances, bytes. */
  freeBytes: number;
}

export interface Placement {
  node: string;
  /** The CPU cache group (a scheduler pinned to those CPUs) the replica runs in. */
  cacheGroup: string;
}

export class PlacementError extends HintedError {
  /** The replicas that did fit, in replica order (greedy placement: each fits regardless of later ones). */
  placed: Array<Placement | undefined> = [];
}

export interface PlaceOptions {
  /** Where replica `i` runs now (a node name), if anywhere: it stays there unless spread improves. */
  current?: ReadonlyArray<string | undefined>;
}

interface Slot {
  candidate: Candidate;
  cacheGroup: string;
  /** Domain keys, most important first. */
  domains: string[];
}


function slotsOf(c: Candidate): Slot[] {
  const t = c.topology;
  const groups = t.cacheGroups.length > 0 ? t.cacheGroups : ['all'];
  // A missing zone/rack label is one shared unknown domain: it must not look like diversity.
  return groups.map((g) => ({
    candidate: c,
    cacheGroup: g,
    domains: [`zone:${t.zone ?? '?'}`, `rack:${t.zone ?? '?'}/${t.rack ?? '?'}`, `host:${t.hostId}`, `disk:${t.hostId}/${t.disk}`, `cache:${t.hostId}/${g}`],
  }));
}

export function placeReplicas(count: number, memoryBytes: number, candidates: readonly Candidate[], opts: PlaceOptions = {}): Placement[] {
  if (!Number.isInteger(count) || count < 0) throw new PlacementError(`cannot place ${count} replicas`, 'ask for a whole number of replicas');
  const free = new Map(candidates.map((c) => [c.node, c.freeBytes]));
  const slots = candidates.flatMap(slotsOf);
  const used = new Map<string, number>();
  const out: Array<Placement | undefined> = new Array(count).fill(undefined);
  // Replicas that have a live home go first: placed before the homeless ones, they keep it
  // whenever spread allows, instead of being pushed off it by a newcomer that could go anywhere.
  const current = opts.current ?? [];
  const order = [...Array(count).keys()].sort((a, b) => Number(!free.has(current[a] ?? '')) - Number(!free.has(current[b] ?? '')) || a - b);
  for (const [done, i] of order.entries()) {
    let best: Slot | null = null;
    let bestKey: number[] | null = null;
    for (const s of slots) {
      const room = free.get(s.candidate.node)!;
      if (room < memoryBytes) continue;
      // Collisions per domain level, then whether the replica would move, then the room left after
      // placing (best fit: less is better), then the node name so that every placer decides the same.
      const key = [...s.domains.map((d) => used.get(d) ?? 0), current[i] === s.candidate.node ? 0 : 1, room - memoryBytes];
      if (bestKey === null || lexLess(key, bestKey) || (lexEqual(key, bestKey) && s.candidate.node < best!.candidate.node)) {
        best = s;
        bestKey = key;
      }
    }
    if (!best) {
      const error = new PlacementError(
        `no node has ${memoryBytes} bytes free for replica ${done + 1} of ${count}`,
        'add nodes, free memory (fewer or smaller instances), or lower the app\'s resources.memoryMiB',
      );
      error.placed = out;
      throw error;
    }
    for (const d of best.domains) used.set(d, (used.get(d) ?? 0) + 1);
    free.set(best.candidate.node, free.get(best.candidate.node)! - memoryBytes);
    out[i] = { node: best.candidate.node, cacheGroup: best.cacheGroup };
  }
  return out as Placement[];
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

function lexEqual(a: number[], b: number[]): boolean {
  return a.every((x, i) => x === b[i]);
}

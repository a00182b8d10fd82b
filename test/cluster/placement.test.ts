// Replica placement and key ownership: properties over generated clusters (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { placeReplicas, PlacementError, type Candidate } from '../../src/cluster/placement.js';
import { ownerOf } from '../../src/cluster/rendezvous.js';
import { readTopology } from '../../src/cluster/topology.js';

const MiB = 1 << 20;
const RUNS = Number(process.env.FLICK_FUZZ_RUNS ?? 300);

/** A cluster: zones hold hosts, hosts hold nodes (processes) on one or two disks. */
const cluster = fc
  .array(fc.record({ zone: fc.constantFrom('a', 'b', 'c', 'd'), host: fc.integer({ min: 0, max: 5 }), disk: fc.integer({ min: 0, max: 1 }), groups: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 10 })
  .map((nodes) =>
    nodes.map((n, i): Candidate => ({
      node: `n${i}`,
      // A host lives in exactly one zone: its id carries the zone.
      topology: { hostId: `${n.zone}-h${n.host}`, disk: `8:${n.disk}`, cacheGroups: n.groups === 1 ? ['0-1'] : ['0', '1'], numaNodes: [0], zone: n.zone, rack: null },
      freeBytes: 1024 * MiB,
    })),
  );

/** For each group key: how many replicas fell in it, and how many distinct sub-keys they used. */
function within(placed: string[][], level: number): Map<string, { replicas: number; used: Set<string> }> {
  const out = new Map<string, { replicas: number; used: Set<string> }>();
  for (const path of placed) {
    const k = path.slice(0, level).join('/');
    const e = out.get(k) ?? { replicas: 0, used: new Set<string>() };
    e.replicas++;
    e.used.add(path[level]);
    out.set(k, e);
  }
  return out;
}

test('replicas spread zone first, then host within a zone, then disk within a host', () => {
  fc.assert(
    fc.property(cluster, fc.integer({ min: 1, max: 8 }), (candidates, count) => {
      const placed = placeReplicas(count, 16 * MiB, candidates);
      assert.equal(placed.length, count);
      const path = (c: Candidate) => [c.topology.zone!, c.topology.hostId, c.topology.disk];
      const paths = placed.map((p) => path(candidates.find((c) => c.node === p.node)!));
      const all = candidates.map(path);
      // Zones: as many as exist, and balanced (no zone gets two more than another).
      const zones = within(all.map((p) => ['', ...p]), 1);
      const usedZones = within(paths.map((p) => ['', ...p]), 1).get('')!;
      assert.equal(usedZones.used.size, Math.min(count, zones.get('')!.used.size), 'zones');
      const perZone = [...zones.get('')!.used].map((z) => paths.filter((p) => p[0] === z).length);
      assert.ok(Math.max(...perZone) - Math.min(...perZone) <= 1, `zones balanced: ${perZone}`);
      // Within a zone, hosts; within a host, disks: as many as that group offers.
      for (const level of [1, 2]) {
        const offered = within(all, level);
        for (const [group, got] of within(paths, level)) {
          assert.equal(got.used.size, Math.min(got.replicas, offered.get(group)!.used.size), `level ${level} in ${group}`);
        }
      }
    }),
    { numRuns: RUNS },
  );
});

test('re-placing moves nothing in an unchanged cluster, and after a loss spreads as well as placing from scratch', () => {
  fc.assert(
    fc.property(cluster, fc.integer({ min: 1, max: 8 }), (candidates, count) => {
      const first = placeReplicas(count, 16 * MiB, candidates).map((p) => p.node);
      const again = placeReplicas(count, 16 * MiB, candidates, { current: first }).map((p) => p.node);
      assert.deepEqual(again, first, 'an unchanged cluster moves nothing');
      // The spread property above holds with or without `current`: stickiness ranks after every domain.
      const lost = first[0];
      const rest = candidates.filter((c) => c.node !== lost);
      if (rest.length === 0) return;
      const after = placeReplicas(count, 16 * MiB, rest, { current: first }).map((p) => p.node);
      const fresh = placeReplicas(count, 16 * MiB, rest).map((p) => p.node);
      const zones = (nodes: string[]) => new Set(nodes.map((n) => rest.find((c) => c.node === n)!.topology.zone)).size;
      assert.equal(zones(after), zones(fresh), 'as many zones as a placement from scratch');
    }),
    { numRuns: RUNS },
  );
});

test('two replicas never share a disk or a zone when another choice exists (declared shared disks and zones)', () => {
  const node = (name: string, host: string, disk: string, zone: string): Candidate => ({ node: name, topology: { hostId: host, disk, cacheGroups: ['0-1'], numaNodes: [0], zone, rack: null }, freeBytes: 1024 * MiB });
  // n1 and n2 share host and disk; n3 is elsewhere in the same zone; n4 in another zone.
  const candidates = [node('n1', 'h1', '8:0', 'z1'), node('n2', 'h1', '8:0', 'z1'), node('n3', 'h2', '8:0', 'z1'), node('n4', 'h3', '8:0', 'z2')];
  const placed = placeReplicas(3, 64 * MiB, candidates).map((p) => p.node);
  assert.ok(placed.includes('n4'), 'the other zone is used');
  assert.ok(!(placed.includes('n1') && placed.includes('n2')), `n1 and n2 share a disk: ${placed}`);
});

test('memory decides among equals (best fit), and a cluster without room says so', () => {
  const mk = (name: string, freeMiB: number, zone: string): Candidate => ({ node: name, topology: { hostId: name, disk: '8:0', cacheGroups: ['0-1'], numaNodes: [0], zone, rack: null }, freeBytes: freeMiB * MiB });
  const placed = placeReplicas(1, 100 * MiB, [mk('roomy', 4000, 'z'), mk('snug', 150, 'z'), mk('tiny', 50, 'z')]);
  assert.equal(placed[0].node, 'snug', 'the fullest node that still fits');
  assert.throws(() => placeReplicas(2, 100 * MiB, [mk('tiny', 50, 'z'), mk('snug', 150, 'z')]), PlacementError);
});

test('rendezvous ownership: every node agrees, and only the keys that must move do', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 2, maxLength: 8 }), fc.array(fc.string(), { minLength: 50, maxLength: 200 }), (nodes, keys) => {
      const before = new Map(keys.map((k) => [k, ownerOf(k, nodes)]));
      assert.deepEqual(keys.map((k) => ownerOf(k, [...nodes].reverse())), keys.map((k) => before.get(k)), 'order of the member list does not matter');
      const leaving = nodes[0];
      const after = nodes.slice(1);
      for (const k of keys) {
        const owner = ownerOf(k, after)!;
        if (before.get(k) !== leaving) assert.equal(owner, before.get(k), 'a key not on the leaving node stays where it is');
      }
      const joined = [...nodes, 'newcomer'];
      for (const k of keys) {
        const owner = ownerOf(k, joined);
        assert.ok(owner === before.get(k) || owner === 'newcomer', 'a join only moves keys to the newcomer');
      }
    }),
    { numRuns: RUNS },
  );
});

test('this machine\'s topology is read from /sys', () => {
  const t = readTopology(process.cwd(), { zone: 'z1' });
  assert.ok(t.hostId.length > 0);
  assert.match(t.disk, /^\d+:\d+$|^unknown$/);
  assert.equal(t.zone, 'z1');
  assert.ok(Array.isArray(t.cacheGroups) && Array.isArray(t.numaNodes));
});

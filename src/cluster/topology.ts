/**
 * The facts about this machine that placement spreads replicas over: which host it is, which disk
 * holds the data directory, which CPUs share a last-level cache, which NUMA nodes it has, and the
 * zone / rack an operator declared. Read from /sys and /proc once at start; missing files (not
 * Linux, a container hiding them) give "unknown" facts rather than errors, so placement treats
 * them as one shared domain instead of pretending they differ.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';

export interface Topology {
  /** Stable id of the machine (/etc/machine-id, else the hostname). */
  hostId: string;
  /** `major:minor` of the block device holding the data directory. */
  disk: string;
  /** Groups of CPUs that share a last-level cache, e.g. ["0-3", "4-7"]. */
  cacheGroups: string[];
  /** NUMA node ids. */
  numaNodes: number[];
  zone: string | null;
  rack: string | null;
}

const UNKNOWN = 'unknown';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

export function readHostId(): string {
  return read('/etc/machine-id') || read('/var/lib/dbus/machine-id') || hostname();
}

/** The device number of the filesystem holding `dir`, as `major:minor`. */
export function readDisk(dir: string): string {
  try {
    const dev = statSync(dir).dev;
    // Linux encodes dev_t with the major in bits 8–19 and the minor split around it.
    const major = (dev >>> 8) & 0xfff;
    const minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
    return `${major}:${minor}`;
  } catch {
    return UNKNOWN;
  }
}

/** CPU sets sharing the highest-level cache each CPU has (L3 when there is one). */
export function readCacheGroups(sysCpu = '/sys/devices/system/cpu'): string[] {
  const groups = new Set<string>();
  let cpus: string[];
  try {
    cpus = readdirSync(sysCpu).filter((d) => /^cpu\d+$/.test(d));
  } catch {
    return [];
  }
  for (const cpu of cpus) {
    let levels: string[];
    try {
      levels = readdirSync(`${sysCpu}/${cpu}/cache`).filter((d) => d.startsWith('index'));
    } catch {
      continue;
    }
    let best: { level: number; shared: string } | null = null;
    for (const idx of levels) {
      const level = Number(read(`${sysCpu}/${cpu}/cache/${idx}/level`));
      const shared = read(`${sysCpu}/${cpu}/cache/${idx}/shared_cpu_list`);
      if (shared && (!best || level > best.level)) best = { level, shared };
    }
    if (best) groups.add(best.shared);
  }
  return [...groups].sort();
}

export function readNumaNodes(sysNode = '/sys/devices/system/node'): number[] {
  try {
    return readdirSync(sysNode)
      .filter((d) => /^node\d+$/.test(d))
      .map((d) => Number(d.slice(4)))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

export function readTopology(dataDir: string, labels: { zone?: string; rack?: string } = {}): Topology {
  return {
    hostId: readHostId(),
    disk: readDisk(dataDir),
    cacheGroups: readCacheGroups(),
    numaNodes: readNumaNodes(),
    zone: labels.zone ?? null,
    rack: labels.rack ?? null,
  };
}

/**
 * What one node allows an image to ask for. A manifest is valid on its own (validateManifest); a
 * node then refuses images that want more than it is configured to give.
 */
import { ManifestError } from './errors.js';
import type { Manifest } from './manifest.js';

export interface NodeLimits {
  maxMemoryMiB: number;
  maxCpuMsPerCall: number;
  maxDeadlineMs: number;
  /** Largest image file accepted, bytes; decodeImage refuses bigger inputs before reading them. */
  maxImageBytes: number;
}

export const DEFAULT_NODE_LIMITS: Readonly<NodeLimits> = {
  maxMemoryMiB: 1024,
  maxCpuMsPerCall: 30_000,
  maxDeadlineMs: 300_000,
  maxImageBytes: 64 * 1024 * 1024,
};

/** Throws ManifestError (code `exceeds_node_limit`) naming the first resource the manifest asks too much of. */
export function checkAgainstLimits(manifest: Manifest, limits: NodeLimits): void {
  const checks: Array<[keyof Manifest['resources'], number, string]> = [
    ['memoryMiB', limits.maxMemoryMiB, 'MiB of memory'],
    ['cpuMsPerCall', limits.maxCpuMsPerCall, 'ms of CPU per call'],
    ['deadlineMs', limits.maxDeadlineMs, 'ms of deadline'],
  ];
  for (const [field, max, unit] of checks) {
    const asked = manifest.resources[field];
    if (asked <= max) continue;
    throw new ManifestError(
      'exceeds_node_limit',
      'load',
      `resources.${field}`,
      `asks for ${asked} ${unit}, more than this node allows (${max})`,
      `set resources.${field} to ${max} or less in flick.json and rebuild, or raise the node's limit`,
    );
  }
}

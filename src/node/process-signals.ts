/**
 * What the nodes of a cluster tell each other so that links and monitors between instance
 * processes hold across nodes, with Erlang's semantics (docs/cluster.md, "Links and monitors
 * across nodes"). The node speaks them (instance-processes.ts); the cluster carries them in order
 * between each pair of nodes, and routes the ones addressed to a key to the node that holds it,
 * following the key when it moves (src/cluster/remote-mailbox.ts). The node knows other nodes by
 * name only.
 */
import type { ExitReason } from '../supervisor/index.js';

/**
 * The state of a process that changes node (its key moved): what it is linked to and monitors,
 * each with the node that holds that process, and the nodes to tell when it ends.
 */
export interface ProcessState {
  trapExits: boolean;
  links: Array<{ key: string; node: string }>;
  /** Monitors the process holds: its guest ref, and the watched key. */
  monitors: Array<{ ref: number; key: string; node: string }>;
  /** Nodes that monitor or link the process through a proxy of theirs. */
  watchers: string[];
}

/** Addressed to the process of `to`, on whichever node holds it (the cluster follows the key). */
export type KeySignal =
  /** `from`, held by the sending node, links `to` (both ways). */
  | { kind: 'link'; app: string; from: string; to: string }
  | { kind: 'unlink'; app: string; from: string; to: string }
  /** The sending node watches `to` for a monitor of one of its processes; `to` is started if it has no process (a virtual actor). */
  | { kind: 'monitor'; app: string; to: string }
  /** A process that moved to the sending node watches `to` again: if `to` has ended meanwhile, the answer is `noproc`. */
  | { kind: 'rewatch'; app: string; to: string }
  /** erlang:exit/2 from `from` (null: a per-request instance). */
  | { kind: 'exit'; app: string; from: string | null; to: string; reason: ExitReason }
  /** The process of `to`, which had no instance, changes node (its key has a new owner). */
  | { kind: 'adopt'; app: string; to: string; process: ProcessState };

/** Addressed to one node, about a process of the sender's. */
export type NodeSignal =
  /** The process of `key` ended with `reason`: the receiver's links and monitors to it fire. */
  | { kind: 'ended'; app: string; key: string; reason: ExitReason }
  /** The process of `key` is now on the sending node (it moved there). */
  | { kind: 'rehomed'; app: string; key: string };

export type ProcessSignal = KeySignal | NodeSignal;

/** The other nodes of a cluster, as the node's processes see them. */
export interface ProcessNetwork {
  /** This node's name. */
  readonly self: string;
  /** The node that holds the process of (app, key) when another one does; null when it is this node's. */
  nodeOf(app: string, key: string): string | null;
  /** Sends `signal` to `node`, after everything sent to it before. */
  signal(node: string, signal: ProcessSignal): void;
}

export function isKeySignal(s: ProcessSignal): s is KeySignal {
  return s.kind !== 'ended' && s.kind !== 'rehomed';
}

/** Signals that set up a watch on a remote process: when they cannot reach its node, the watch fires `noconnection`. */
export function setsUpWatch(s: ProcessSignal): s is Extract<KeySignal, { kind: 'link' | 'monitor' | 'rewatch' | 'adopt' }> {
  return s.kind === 'link' || s.kind === 'monitor' || s.kind === 'rewatch' || s.kind === 'adopt';
}

const isText = (v: unknown): v is string => typeof v === 'string';
const EXIT_ATOMS: readonly unknown[] = ['normal', 'shutdown', 'kill', 'killed', 'noproc', 'noconnection'];
/** An exit reason as plainExitReason leaves it: an atom, or a one-key tuple of text. */
const isReason = (v: unknown): v is ExitReason => {
  if (EXIT_ATOMS.includes(v)) return true;
  const t = v as { error?: unknown; shutdown?: unknown } | null;
  return typeof t === 'object' && t !== null && Object.keys(t).length === 1 && (isText(t.error) || isText(t.shutdown));
};

/** Whether a value from another node is a ProcessState, checked field by field. */
export function isProcessState(v: unknown): v is ProcessState {
  const s = v as Partial<ProcessState> | null;
  const placed = (l: unknown) => isText((l as { key?: unknown })?.key) && isText((l as { node?: unknown }).node);
  return (
    typeof s === 'object' && s !== null && typeof s.trapExits === 'boolean' &&
    Array.isArray(s.links) && s.links.every(placed) &&
    Array.isArray(s.monitors) && s.monitors.every((m) => placed(m) && Number.isInteger(m.ref)) &&
    Array.isArray(s.watchers) && s.watchers.every(isText)
  );
}

/** A signal as another node sent it, checked field by field; null when it is not one. */
export function readProcessSignal(value: unknown): ProcessSignal | null {
  const s = value as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null || !isText(s.app)) return null;
  switch (s.kind) {
    case 'link':
    case 'unlink':
      return isText(s.from) && isText(s.to) ? (s as unknown as ProcessSignal) : null;
    case 'monitor':
    case 'rewatch':
      return isText(s.to) ? (s as unknown as ProcessSignal) : null;
    case 'exit':
      return (s.from === null || isText(s.from)) && isText(s.to) && isReason(s.reason) ? (s as unknown as ProcessSignal) : null;
    case 'adopt':
      return isText(s.to) && isProcessState(s.process) ? (s as unknown as ProcessSignal) : null;
    case 'ended':
      return isText(s.key) && isReason(s.reason) ? (s as unknown as ProcessSignal) : null;
    case 'rehomed':
      return isText(s.key) ? (s as unknown as ProcessSignal) : null;
    default:
      return null;
  }
}

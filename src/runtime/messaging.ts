/**
 * Messages between instances, as the runtime sees them (docs/abi.md, "Messaging"). An instance's
 * address is its key within its app (`#0`… for replicas). A call does not act on other instances
 * itself: what it asks for — sends, links, monitors, exit signals — is collected as effects and
 * handed to the node with the call's result, so the runtime knows nothing of where instances live.
 * What an instance receives (a message, an EXIT signal it traps, a DOWN of a monitor) is delivered
 * as one call of its `flick_message` export.
 */

/** One mailbox entry, as `flick_message` reads it. Reasons are Erlang-style texts: `normal`, `killed`, `{error,trap}`. */
export type MailboxMessage =
  | { kind: 'message'; from: string | null; data: Uint8Array }
  | { kind: 'exit'; from: string; reason: string }
  | { kind: 'down'; from: string; ref: number; reason: string };

export type MessagingEffect =
  | { op: 'send'; to: string; data: Uint8Array }
  | { op: 'link'; to: string }
  | { op: 'unlink'; to: string }
  | { op: 'monitor'; to: string; ref: number }
  | { op: 'demonitor'; ref: number }
  | { op: 'trap_exit'; on: boolean }
  | { op: 'exit'; to: string; reason: string };

/** Numbers for `msg_kind`. */
export const MAILBOX_KIND = Object.freeze({ message: 0, exit: 1, down: 2 } as const);

/** What one call may ask for; beyond these the call traps (a flood is a bug or an attack, not traffic). */
export const MESSAGING_LIMITS = Object.freeze({
  messageBytes: 64 * 1024,
  addressBytes: 256,
  effectsPerCall: 1024,
  bytesPerCall: 4 * 1024 * 1024,
  /** Undelivered messages one instance may have waiting at the node; later ones are dropped and counted. */
  mailboxDepth: 1024,
});

/** The messaging side of one call: who is calling, what it received, and what it asked for. */
export interface CallMessaging {
  /** The instance's address; null for a per-request instance (it may send, but nothing can reach it). */
  self: string | null;
  /** The entry `flick_message` is handling; null in other calls. */
  delivered: MailboxMessage | null;
  effects: MessagingEffect[];
  effectBytes: number;
  /** Makes monitor refs: unique within this scheduler. */
  nextRef: () => number;
}

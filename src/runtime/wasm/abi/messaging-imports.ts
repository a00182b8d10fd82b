/**
 * Host side of messaging (docs/abi.md, "Messaging"): `flick.msg_*`. Sends, links, monitors and
 * exit signals are recorded as effects of the call (runtime/messaging.ts) for the node to carry
 * out when the call returns; the mailbox entry being handled is read from the call. An app whose
 * manifest does not grant `capabilities.messaging` gets `denied` from every function.
 */
import { MAILBOX_KIND, MESSAGING_LIMITS, type CallMessaging, type MessagingEffect } from '../../messaging.js';
import { currentInstance, type ContextRef, type InstanceContext } from '../host-context.js';
import { ABI_STATUS, GuestMemory, guestFault, type ImportName } from './guest-memory.js';

const { denied: DENIED, missing: MISSING } = ABI_STATUS;

const NOT_GRANTED_HINT = 'set "capabilities": { "messaging": true } in flick.json';

export function messagingImports(ref: ContextRef, mem: GuestMemory): Record<string, Function> {
  /** The call's messaging state, or null (and a log line) when the app is not granted messaging. */
  const granted = (fn: ImportName, ctx: InstanceContext): CallMessaging | null => {
    if (ctx.messaging === null) ctx.log('warn', `${fn}: messaging is not granted to this app; ${NOT_GRANTED_HINT}`);
    return ctx.messaging;
  };

  const address = (fn: ImportName, ctx: InstanceContext, ptr: number, len: number): string => {
    if (len >>> 0 === 0 || len >>> 0 > MESSAGING_LIMITS.addressBytes) {
      throw guestFault(fn, `an address of ${len >>> 0} bytes`, `an address is an instance's key: 1 to ${MESSAGING_LIMITS.addressBytes} bytes`);
    }
    return mem.readString(fn, ctx.memory, ptr, len);
  };

  const record = (fn: ImportName, m: CallMessaging, effect: MessagingEffect, bytes = 0): void => {
    if (m.effects.length >= MESSAGING_LIMITS.effectsPerCall || m.effectBytes + bytes > MESSAGING_LIMITS.bytesPerCall) {
      throw guestFault(fn, `more than ${MESSAGING_LIMITS.effectsPerCall} messaging operations or ${MESSAGING_LIMITS.bytesPerCall} bytes of messages in one call`, 'send fewer, larger messages, or spread the work over several calls');
    }
    m.effects.push(effect);
    m.effectBytes += bytes;
  };

  /** Links, monitors and trapped exits need an address to come back to: per-request instances have none. */
  const addressable = (fn: ImportName, ctx: InstanceContext, m: CallMessaging): boolean => {
    if (m.self !== null) return true;
    ctx.log('warn', `${fn}: a per-request instance has no address, so nothing can signal it back; use per-key or replicas mode`);
    return false;
  };

  const delivered = (fn: ImportName, ctx: InstanceContext) => {
    const entry = ctx.messaging?.delivered;
    if (!entry) throw guestFault(fn, 'called outside flick_message', 'the mailbox functions work only while flick_message handles an entry (docs/abi.md, "Messaging")');
    return entry;
  };

  /** `fn(to_ptr, to_len)` effects that take only an address. */
  const towards = (fn: ImportName, op: 'link' | 'unlink') =>
    (toPtr: number, toLen: number): number => {
      const ctx = currentInstance(ref);
      const m = granted(fn, ctx);
      if (!m || !addressable(fn, ctx, m)) return DENIED;
      record(fn, m, { op, to: address(fn, ctx, toPtr, toLen) });
      return 0;
    };

  return {
    msg_self(buf: number, cap: number): number {
      const fn = 'flick.msg_self';
      const ctx = currentInstance(ref);
      const m = granted(fn, ctx);
      if (!m) return DENIED;
      return m.self === null ? MISSING : mem.writeString(fn, ctx.memory, buf, cap, m.self);
    },

    msg_send(toPtr: number, toLen: number, dataPtr: number, dataLen: number): number {
      const fn = 'flick.msg_send';
      const ctx = currentInstance(ref);
      const m = granted(fn, ctx);
      if (!m) return DENIED;
      if (dataLen >>> 0 > MESSAGING_LIMITS.messageBytes) {
        throw guestFault(fn, `a message of ${dataLen >>> 0} bytes`, `messages are at most ${MESSAGING_LIMITS.messageBytes} bytes: keep large data in KV and send its key`);
      }
      const to = address(fn, ctx, toPtr, toLen);
      record(fn, m, { op: 'send', to, data: mem.read(fn, ctx.memory, dataPtr, dataLen).slice() }, dataLen >>> 0);
      return 0;
    },

    msg_link: towards('flick.msg_link', 'link'),
    msg_unlink: towards('flick.msg_unlink', 'unlink'),

    msg_monitor(toPtr: number, toLen: number): number {
      const fn = 'flick.msg_monitor';
      const ctx = currentInstance(ref);
      const m = granted(fn, ctx);
      if (!m || !addressable(fn, ctx, m)) return DENIED;
      const monitorRef = m.nextRef();
      record(fn, m, { op: 'monitor', to: address(fn, ctx, toPtr, toLen), ref: monitorRef });
      return monitorRef;
    },

    msg_demonitor(monitorRef: number): number {
      const fn = 'flick.msg_demonitor';
      const ctx = currentInstance(ref);
      const m = granted(fn, ctx);
      if (!m || !addressable(fn, ctx, m)) return DENIED;
      record(fn, m, { op: 'demonitor', ref: monitorRef });
      return 0;
    },

    msg_trap_exit(on: number): number {
      const fn = 'flick.msg_trap_exit';
      const ctx = currentInstance(ref);
      const m = granted(fn, ctx);
      if (!m || !addressable(fn, ctx, m)) return DENIED;
      record(fn, m, { op: 'trap_exit', on: on !== 0 });
      return 0;
    },

    msg_exit(toPtr: number, toLen: number, reasonPtr: number, reasonLen: number): number {
      const fn = 'flick.msg_exit';
      const ctx = currentInstance(ref);
      const m = granted(fn, ctx);
      if (!m) return DENIED;
      const to = address(fn, ctx, toPtr, toLen);
      const reason = mem.readString(fn, ctx.memory, reasonPtr, reasonLen, MESSAGING_LIMITS.addressBytes);
      record(fn, m, { op: 'exit', to, reason: reason || 'normal' });
      return 0;
    },

    msg_kind(): number {
      return MAILBOX_KIND[delivered('flick.msg_kind', currentInstance(ref)).kind];
    },

    msg_from(buf: number, cap: number): number {
      const fn = 'flick.msg_from';
      const ctx = currentInstance(ref);
      const from = delivered(fn, ctx).from;
      return from === null ? MISSING : mem.writeString(fn, ctx.memory, buf, cap, from);
    },

    msg_data(buf: number, cap: number): number {
      const fn = 'flick.msg_data';
      const ctx = currentInstance(ref);
      const entry = delivered(fn, ctx);
      return entry.kind === 'message' ? mem.writeBytes(fn, ctx.memory, buf, cap, entry.data) : mem.writeString(fn, ctx.memory, buf, cap, entry.reason);
    },

    msg_ref(): number {
      const entry = delivered('flick.msg_ref', currentInstance(ref));
      return entry.kind === 'down' ? entry.ref : 0;
    },
  };
}

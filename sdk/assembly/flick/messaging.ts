// Messaging between instances of one app, with Erlang's links, monitors and exit trapping
// (docs/abi.md, "Messaging"). An instance's address is its key. Export
// `flick_message(): void` to receive: inside it, `received()` is the entry being handled.
// Needs `"capabilities": { "messaging": true }` in flick.json.
import {
  msg_data, msg_demonitor, msg_exit, msg_from, msg_kind, msg_link, msg_monitor, msg_ref, msg_self,
  msg_send, msg_trap_exit, msg_unlink,
} from "./abi";
import { fetch, fetchString, takeBytes, takeString, utf8 } from "./fetch";

/** What `flick_message` is handling: a message, an EXIT signal (when trapping exits), or a DOWN. */
export enum Kind { Message = 0, Exit = 1, Down = 2 }

function readSelf(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return msg_self(buf, cap); }
function readFrom(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return msg_from(buf, cap); }
function readData(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return msg_data(buf, cap); }

function denied(status: i32, what: string): void {
  if (status == -2) abort(`messaging: ${what} refused; grant "capabilities": { "messaging": true } in flick.json (and use per-key or replicas mode)`);
}

/** This instance's address (its key); null for a per-request instance. */
export function self(): string | null {
  const n = fetch(readSelf, null);
  denied(n, "self");
  return n < 0 ? null : takeString(n);
}

/** Sends `data` (a string, sent as UTF-8, or bytes) to the instance `to`, starting it if needed. */
export function send<T>(to: string, data: T): void {
  const addr = utf8(to);
  let bytes: Uint8Array;
  if (isString<T>()) bytes = Uint8Array.wrap(utf8(changetype<string>(data)));
  else if (data instanceof Uint8Array) bytes = data;
  else { ERROR("messages are a string or a Uint8Array"); return; }
  denied(msg_send(changetype<usize>(addr), addr.byteLength, bytes.dataStart, bytes.byteLength), "send");
}

/** Links this instance to `to`: when either ends abnormally, so does the other, unless it traps exits. */
export function link(to: string): void {
  const addr = utf8(to);
  denied(msg_link(changetype<usize>(addr), addr.byteLength), "link");
}

export function unlink(to: string): void {
  const addr = utf8(to);
  denied(msg_unlink(changetype<usize>(addr), addr.byteLength), "unlink");
}

/** Watches `to`: one Down entry with this ref arrives when it ends. */
export function monitor(to: string): i32 {
  const addr = utf8(to);
  const ref = msg_monitor(changetype<usize>(addr), addr.byteLength);
  denied(ref, "monitor");
  return ref;
}

export function demonitor(ref: i32): void {
  denied(msg_demonitor(ref), "demonitor");
}

/** With `on`, exit signals from linked instances arrive as Exit entries instead of ending this one. */
export function trapExits(on: bool): void {
  denied(msg_trap_exit(on ? 1 : 0), "trapExits");
}

/** Sends an exit signal: "kill" always ends `to`; "normal" is ignored unless `to` is this instance. */
export function exit(to: string, reason: string): void {
  const addr = utf8(to);
  const why = utf8(reason);
  denied(msg_exit(changetype<usize>(addr), addr.byteLength, changetype<usize>(why), why.byteLength), "exit");
}

/** The entry `flick_message` is handling. */
export class Received {
  constructor(
    public readonly kind: Kind,
    /** The sender's address; null for a message sent by a per-request instance. */
    public readonly from: string | null,
    /** The message's bytes; for Exit and Down, the reason as text (e.g. `{error,trap}`). */
    public readonly data: Uint8Array,
    /** Down: the ref `monitor` returned; 0 otherwise. */
    public readonly ref: i32,
  ) {}

  text(): string {
    return String.UTF8.decode(this.data.buffer.slice(this.data.byteOffset, this.data.byteOffset + this.data.byteLength));
  }
}

export function received(): Received {
  const kind = msg_kind();
  const from = fetchString(readFrom, null);
  const n = fetch(readData, null);
  return new Received(kind, from, takeBytes(n), msg_ref());
}

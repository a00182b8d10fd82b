// Moving an instance to a new release (docs/abi.md, "State upgrade"). The old release's
// `flick_state_save()` calls `state.save(bytes)`; the new release's `flick_upgrade(): i32` reads
// them with `state.load()` and `state.fromVersion()`, rebuilds its own layout and returns 0, or
// returns non-zero to refuse (that instance then stays on the old release).
import { state_read, state_version, state_write } from "./abi";
import { fetch, fetchString, takeBytes } from "./fetch";

function readState(_p: usize, _l: i32, buf: usize, cap: i32): i32 {
  return state_read(buf, cap);
}

function readVersion(_p: usize, _l: i32, buf: usize, cap: i32): i32 {
  return state_version(buf, cap);
}

/** Hands `bytes` to the next release (appends: call it as often as convenient). Only inside flick_state_save. */
export function save(bytes: Uint8Array): void {
  state_write(bytes.dataStart, bytes.byteLength);
}

/** What the old instance saved; null when its release has no flick_state_save. Only inside flick_upgrade. */
export function load(): Uint8Array | null {
  const n = fetch(readState, null);
  return n < 0 ? null : takeBytes(n);
}

/** The manifest version of the release the state comes from. Only inside flick_upgrade. */
export function fromVersion(): string {
  return fetchString(readVersion, null)!;
}

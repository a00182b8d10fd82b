// The raw flick reactor ABI (docs/abi.md): host functions in import module "flick". Pointers and
// lengths are wasm32 offsets and byte counts. Functions that hand data to the guest copy it into
// [buf, buf + cap) only when it fits and always return its full length, so a guest can retry with a
// buffer of the returned size; -1 means "absent".
// Only the declarations an app actually uses end up as imports of its module.

// @ts-ignore: decorator
@external("flick", "request_method")
export declare function request_method(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "request_url")
export declare function request_url(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "request_path")
export declare function request_path(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "request_query")
export declare function request_query(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "request_header")
export declare function request_header(namePtr: usize, nameLen: i32, buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "request_headers")
export declare function request_headers(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "request_body")
export declare function request_body(buf: usize, cap: i32): i32;

// @ts-ignore: decorator
@external("flick", "response_status")
export declare function response_status(status: i32): void;
// @ts-ignore: decorator
@external("flick", "response_header")
export declare function response_header(namePtr: usize, nameLen: i32, valuePtr: usize, valueLen: i32): void;
// @ts-ignore: decorator
@external("flick", "response_write")
export declare function response_write(ptr: usize, len: i32): void;

/** kv_get / kv_put / kv_delete: the value is missing. */
export const KV_MISSING: i32 = -1;
/** kv_*: the namespace is not granted to this app by its manifest. */
export const KV_DENIED: i32 = -2;
/** kv_*: the store refused the operation (e.g. key too large); the host logged why. */
export const KV_REFUSED: i32 = -3;

// @ts-ignore: decorator
@external("flick", "kv_get")
export declare function kv_get(nsPtr: usize, nsLen: i32, keyPtr: usize, keyLen: i32, buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "kv_put")
export declare function kv_put(nsPtr: usize, nsLen: i32, keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32): i32;
// @ts-ignore: decorator
@external("flick", "kv_delete")
export declare function kv_delete(nsPtr: usize, nsLen: i32, keyPtr: usize, keyLen: i32): i32;

export const LOG_DEBUG: i32 = 0;
export const LOG_INFO: i32 = 1;
export const LOG_WARN: i32 = 2;
export const LOG_ERROR: i32 = 3;

// @ts-ignore: decorator
@external("flick", "log")
export declare function log(level: i32, ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("flick", "panic")
export declare function panic(messagePtr: usize, messageLen: i32, filePtr: usize, fileLen: i32, line: i32, column: i32): void;
// @ts-ignore: decorator
@external("flick", "random_seed")
export declare function random_seed(): f64;

// State upgrade (docs/abi.md): `state_write` inside flick_state_save, the others inside flick_upgrade.
// @ts-ignore: decorator
@external("flick", "state_write")
export declare function state_write(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("flick", "state_read")
export declare function state_read(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "state_version")
export declare function state_version(buf: usize, cap: i32): i32;

// Messaging (docs/abi.md, "Messaging"): addresses are instance keys of the same app. Sends, links,
// monitors and exits take effect when the current call returns. -2: not granted by the manifest.
// @ts-ignore: decorator
@external("flick", "msg_self")
export declare function msg_self(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_send")
export declare function msg_send(toPtr: usize, toLen: i32, dataPtr: usize, dataLen: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_link")
export declare function msg_link(toPtr: usize, toLen: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_unlink")
export declare function msg_unlink(toPtr: usize, toLen: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_monitor")
export declare function msg_monitor(toPtr: usize, toLen: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_demonitor")
export declare function msg_demonitor(ref: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_trap_exit")
export declare function msg_trap_exit(on: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_exit")
export declare function msg_exit(toPtr: usize, toLen: i32, reasonPtr: usize, reasonLen: i32): i32;
// Inside flick_message only: the entry being handled.
// @ts-ignore: decorator
@external("flick", "msg_kind")
export declare function msg_kind(): i32;
// @ts-ignore: decorator
@external("flick", "msg_from")
export declare function msg_from(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_data")
export declare function msg_data(buf: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("flick", "msg_ref")
export declare function msg_ref(): i32;

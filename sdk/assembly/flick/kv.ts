// Key-value namespaces granted by the manifest (`capabilities.kv`). Reads and writes are
// synchronous. Using a namespace the manifest does not grant is a deployment mistake: the host logs
// it and the call aborts with a message that names the namespace.
import { KV_DENIED, KV_MISSING, KV_REFUSED, kv_delete, kv_get, kv_put } from "./abi";
import { fetch, takeBytes, takeString, utf8 } from "./fetch";

// What a kv_get through `fetch` is about; globals, so the GC keeps them while the host is called.
let readingNamespace: ArrayBuffer | null = null;
let readingKey: Uint8Array | null = null;

function readValue(_p: usize, _l: i32, buf: usize, cap: i32): i32 {
  const ns = readingNamespace!;
  const key = readingKey!;
  return kv_get(changetype<usize>(ns), ns.byteLength, key.dataStart, key.byteLength, buf, cap);
}

/** A key or value given as a string (sent as UTF-8) or as bytes. */
function bytesOf<T>(v: T): Uint8Array {
  if (isString<T>()) return Uint8Array.wrap(utf8(changetype<string>(v)));
  if (v instanceof Uint8Array) return v;
  ERROR("kv keys and values are a string or a Uint8Array");
  return unreachable();
}

export class Namespace {
  private readonly id: ArrayBuffer;

  constructor(public readonly name: string) {
    this.id = utf8(name);
  }

  /** The value under `key` as UTF-8 text, or null when there is none. `key` is a string or a Uint8Array. */
  get<K>(key: K): string | null {
    const n = this.fetchValue(bytesOf(key));
    return n < 0 ? null : takeString(n);
  }

  /** The value under `key` as bytes, or null when there is none. */
  getBytes<K>(key: K): Uint8Array | null {
    const n = this.fetchValue(bytesOf(key));
    return n < 0 ? null : takeBytes(n);
  }

  /** Stores `value` (a string or a Uint8Array) under `key`. */
  put<K, V>(key: K, value: V): void {
    const k = bytesOf(key);
    const v = bytesOf(value);
    this.check(kv_put(changetype<usize>(this.id), this.id.byteLength, k.dataStart, k.byteLength, v.dataStart, v.byteLength));
  }

  /** Removes `key`; true when it was there. */
  delete<K>(key: K): bool {
    const k = bytesOf(key);
    return this.check(kv_delete(changetype<usize>(this.id), this.id.byteLength, k.dataStart, k.byteLength)) == 1;
  }

  private fetchValue(key: Uint8Array): i32 {
    readingNamespace = this.id;
    readingKey = key;
    const n = fetch(readValue, null);
    readingNamespace = null;
    readingKey = null;
    return this.check(n);
  }

  /** Aborts on the statuses no caller can handle; passes the others (>= 0, or KV_MISSING) through. */
  private check(status: i32): i32 {
    if (status == KV_DENIED) {
      abort("kv namespace \"" + this.name + "\" is not granted to this app: list it in capabilities.kv in flick.json");
    } else if (status == KV_REFUSED) {
      abort("kv namespace \"" + this.name + "\" refused the operation (see the app log)");
    } else if (status < KV_MISSING) {
      abort("kv: unexpected host status " + status.toString());
    }
    return status;
  }
}

/** Opens a namespace by name (cheap: no host call; access is checked on use). */
export function open(name: string): Namespace {
  return new Namespace(name);
}

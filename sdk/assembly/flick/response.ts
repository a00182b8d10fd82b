// The response under construction: every call goes straight to the host, which assembles it; the
// guest keeps no per-request state. Status defaults to 200 and the body to empty.
import { response_header, response_status, response_write } from "./abi";
import { utf8 } from "./fetch";

export class Response {
  status(code: i32): Response {
    response_status(code);
    return this;
  }

  /** Adds a header (repeatable, e.g. set-cookie). */
  header(name: string, value: string): Response {
    const n = utf8(name);
    const v = utf8(value);
    response_header(changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
    return this;
  }

  /** Appends UTF-8 text to the body. */
  write(text: string): Response {
    const b = utf8(text);
    response_write(changetype<usize>(b), b.byteLength);
    return this;
  }

  /** Appends bytes to the body. */
  writeBytes(bytes: Uint8Array): Response {
    response_write(bytes.dataStart, bytes.byteLength);
    return this;
  }

  /** Completes a plain-text answer: content-type and body (call once per request). */
  text(body: string, status: i32 = 200): void {
    this.status(status).header("content-type", "text/plain; charset=utf-8").write(body);
  }

  /** Completes a JSON answer from already-serialised JSON (call once per request). */
  json(body: string, status: i32 = 200): void {
    this.status(status).header("content-type", "application/json").write(body);
  }

  /** Completes a binary answer (call once per request). */
  bytes(body: Uint8Array, contentType: string = "application/octet-stream", status: i32 = 200): void {
    this.status(status).header("content-type", contentType).writeBytes(body);
  }
}

/** The response being built (valid inside flick_handle). */
export const response = new Response();

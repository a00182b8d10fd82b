// The request in flight, read lazily from the host: a field costs a host call only when asked for,
// and nothing is cached, so values never leak from one request into the next.
import {
  request_body, request_header, request_headers, request_method, request_path, request_query, request_url,
} from "./abi";
import { fetch, fetchString, takeBytes, utf8 } from "./fetch";

// Adapters to the one-argument HostRead shape (AssemblyScript has no closures).
function readMethod(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return request_method(buf, cap); }
function readUrl(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return request_url(buf, cap); }
function readPath(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return request_path(buf, cap); }
function readQuery(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return request_query(buf, cap); }
function readHeaders(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return request_headers(buf, cap); }
function readBody(_p: usize, _l: i32, buf: usize, cap: i32): i32 { return request_body(buf, cap); }

export class Header {
  constructor(public name: string, public value: string) {}
}

export class Request {
  /** `GET`, `POST`, … */
  get method(): string { return fetchString(readMethod, null)!; }
  /** Path and query as received: `/a/b?x=1`. */
  get url(): string { return fetchString(readUrl, null)!; }
  /** `/a/b` */
  get path(): string { return fetchString(readPath, null)!; }
  /** `x=1` (no `?`; empty when there is none). */
  get query(): string { return fetchString(readQuery, null)!; }

  /** A header's value (case-insensitive name; repeated headers joined with ", "), or null. */
  header(name: string): string | null {
    return fetchString(request_header, utf8(name));
  }

  /** All headers in arrival order, names lower-case. */
  headers(): Header[] {
    const out = new Array<Header>();
    const lines = fetchString(readHeaders, null)!.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(":");
      if (colon > 0) out.push(new Header(line.substring(0, colon), line.substring(colon + 2)));
    }
    return out;
  }

  /** The body as bytes. */
  bytes(): Uint8Array {
    return takeBytes(fetch(readBody, null));
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return fetchString(readBody, null)!;
  }
}

/** The request being handled (valid inside flick_handle). */
export const request = new Request();

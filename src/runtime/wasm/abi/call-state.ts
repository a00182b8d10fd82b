/**
 * The request side of a call as the flick ABI presents it (path, query, header lookups) and the
 * response the guest builds, checked as it is built and assembled at the end.
 */
import { SandboxError } from '../../errors.js';
import type { GuestRequest, GuestResponse } from '../../request.js';
import type { CallState } from '../host-context.js';

/** Limits on what one response may hold, so a guest cannot make the host buffer without bound. */
export const RESPONSE_LIMITS = Object.freeze({
  headers: 256,
  /** Name plus value, in characters. */
  headerChars: 16 * 1024,
  bodyBytes: 32 * 1024 * 1024,
});

/** Headers the platform sets itself when it frames the response; a guest setting them could desynchronise it. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer']);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;

export function newCallState(request: GuestRequest): CallState {
  return { request, status: 200, headers: [], body: [] };
}

export function requestPath(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function requestQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

/** The value of header `name` (lower-case), repeated headers joined with ", "; undefined when absent. */
export function headerValue(headers: ReadonlyArray<[string, string]>, name: string): string | undefined {
  let value: string | undefined;
  for (const [n, v] of headers) {
    if (n === name) value = value === undefined ? v : `${value}, ${v}`;
  }
  return value;
}

/** All headers as `name: value\n` lines, the form `flick.request_headers` hands over. */
export function headerBlock(headers: ReadonlyArray<[string, string]>): string {
  let block = '';
  for (const [n, v] of headers) block += `${n}: ${v}\n`;
  return block;
}

function badResponse(message: string, hint: string): SandboxError {
  return new SandboxError('bad_response', message, hint, 502);
}

export function setStatus(call: CallState, status: number): void {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw badResponse(`flick.response_status: ${status} is not a final HTTP status`, 'use a status from 200 to 599');
  }
  call.status = status;
}

export function addHeader(call: CallState, name: string, value: string): void {
  if (!HEADER_NAME.test(name)) {
    throw badResponse(`flick.response_header: ${JSON.stringify(name)} is not a valid header name`, 'header names are HTTP tokens: letters, digits and !#$%&\'*+-.^_`|~');
  }
  if (HEADER_VALUE_FORBIDDEN.test(value) || name.length + value.length > RESPONSE_LIMITS.headerChars) {
    throw badResponse(`flick.response_header: the value of ${name} is invalid or too long`, `header values have no CR, LF or NUL, and name plus value stay under ${RESPONSE_LIMITS.headerChars} characters`);
  }
  if (FRAMING_HEADERS.has(name.toLowerCase())) {
    throw badResponse(`flick.response_header: ${name} is set by the platform`, 'remove it: flick frames the body itself');
  }
  if (call.headers.length >= RESPONSE_LIMITS.headers) {
    throw badResponse(`flick.response_header: more than ${RESPONSE_LIMITS.headers} headers`, 'send fewer headers');
  }
  call.headers.push([name, value]);
}

/** Writes smaller than this are coalesced. */
const COALESCE_BYTES = 4096;

/**
 * Appends guest writes to the body of the call in flight. Small writes are coalesced into shared
 * chunks, so a guest writing a byte at a time costs the host neither an array per write nor a scan
 * of the chunks to check the size limit. One per import object: it follows one call at a time and
 * starts over (from the call's chunks) when a different call writes.
 */
export class BodyWriter {
  private call: CallState | null = null;
  private size = 0;
  /** Backs the call's last chunk while more small writes may be added to it. */
  private tail: Uint8Array | null = null;
  private tailUsed = 0;

  /** Appends a copy of `bytes` (a view of guest memory, which the guest may reuse). */
  append(call: CallState, bytes: Uint8Array): void {
    if (call !== this.call) this.follow(call);
    if (bytes.length === 0) return;
    if (this.size + bytes.length > RESPONSE_LIMITS.bodyBytes) {
      // A limit like memory's, not a malformed response: the limit breaker counts it, since each such call has the host buffer the whole limit.
      throw new SandboxError('response_too_large', `flick.response_write: the body exceeds ${RESPONSE_LIMITS.bodyBytes} bytes`, 'send large content in smaller responses', 502);
    }
    this.size += bytes.length;
    const used = this.tailUsed + bytes.length;
    if (this.tail !== null && used <= this.tail.length) {
      this.tail.set(bytes, this.tailUsed);
    } else if (this.tail !== null && used <= COALESCE_BYTES) {
      // A second small write: move the last chunk into room for more.
      const grown = new Uint8Array(COALESCE_BYTES);
      grown.set(this.tail.subarray(0, this.tailUsed));
      grown.set(bytes, this.tailUsed);
      this.tail = grown;
    } else {
      // Most responses are one write: its chunk is an exact copy.
      this.tail = bytes.length < COALESCE_BYTES ? bytes.slice() : null;
      this.tailUsed = bytes.length;
      call.body.push(this.tail ?? bytes.slice());
      return;
    }
    this.tailUsed = used;
    call.body[call.body.length - 1] = this.tail.subarray(0, used);
  }

  private follow(call: CallState): void {
    this.call = call;
    this.size = 0;
    for (const chunk of call.body) this.size += chunk.length;
    this.tail = null;
    this.tailUsed = 0;
  }
}

export function finishResponse(call: CallState): GuestResponse {
  return { status: call.status, headers: call.headers, body: call.body.length === 1 ? call.body[0] : concat(call.body) };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

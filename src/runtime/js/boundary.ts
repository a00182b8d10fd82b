/**
 * The data crossing between host and guest. Everything goes over as copies (isolated-vm's
 * structured clone), so no host object is ever reachable from the guest; this module makes sure
 * the copies carry only what they should and that what comes back is a well-formed response.
 */
import { SandboxError } from '../errors.js';
import type { GuestRequest, GuestResponse } from '../request.js';
import { RESPONSE_LIMITS } from '../wasm/abi/call-state.js';

/** Headers the platform sets itself when it frames a response; a guest's values are dropped. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer']);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;

/**
 * A copy of a typed array's bytes in an ArrayBuffer of exactly its size. Cloning a view into an
 * isolate copies its whole backing buffer, and host buffers are often slices of a shared pool
 * (Buffer's, LMDB's): passing the view itself would hand the guest whatever else the pool holds.
 */
export function ownedBytes(view: Uint8Array): Uint8Array {
  // new Uint8Array(view) always copies; view.slice() would not for a Buffer, whose slice is a view.
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && !(view.buffer instanceof SharedArrayBuffer) ? view : new Uint8Array(view);
}

/**
 * A header list as it crosses the boundary: names and values alternating, joined by NUL (which no
 * valid name or value contains). Flat strings cross isolated-vm several times cheaper than
 * structured copies of arrays of pairs (measured: a hello call's request and response as objects
 * ~14 µs of copying, as strings ~6 µs).
 */
export function headerText(headers: ReadonlyArray<readonly [string, string]>): string {
  let text = '';
  for (let i = 0; i < headers.length; i++) text += `${i === 0 ? '' : '\0'}${headers[i][0]}\0${headers[i][1]}`;
  return text;
}

/** A request as the guest prelude's dispatch takes it: method, absolute URL, header text, body bytes (null when empty). */
export type GuestSideRequest = [method: string, url: string, headers: string, body: Uint8Array | null];

export function requestForGuest(request: GuestRequest, appName: string): GuestSideRequest {
  return [request.method, absoluteUrl(request, appName), headerText(request.headers), request.body.length === 0 ? null : ownedBytes(request.body)];
}

/** A Host header value that is only an authority (no path, userinfo or spaces to smuggle into the URL). */
const AUTHORITY = /^[A-Za-z0-9.-]+(?::\d{1,5})?$/;

/** Apps read `request.url` as an absolute URL; the authority comes from Host, else the app's own name. */
function absoluteUrl(request: GuestRequest, appName: string): string {
  const host = request.headers.find(([name]) => name === 'host')?.[1];
  const authority = host !== undefined && AUTHORITY.test(host) ? host : `${appName}.localhost`;
  try {
    return new URL(request.url, `http://${authority}`).href;
  } catch {
    return new URL('/', `http://${authority}`).href;
  }
}

function badResponse(message: string, hint: string): SandboxError {
  return new SandboxError('bad_response', message, hint, 502);
}

/** Checks what the guest answered (untrusted: the app can patch the prelude's conversion) and makes a GuestResponse of it. */
export function acceptResponse(status: unknown, headers: unknown, body: unknown): GuestResponse {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw badResponse(`the response status ${String(status)} is not a final HTTP status`, 'use a status from 200 to 599');
  }
  if (!(body instanceof Uint8Array)) throw badResponse('the response body is not bytes', 'pass a string, ArrayBuffer or typed array as the Response body');
  if (body.length > RESPONSE_LIMITS.bodyBytes) throw badResponse(`the response body exceeds ${RESPONSE_LIMITS.bodyBytes} bytes`, 'send large content in smaller responses');
  return { status, headers: acceptHeaders(headers), body };
}

function acceptHeaders(text: unknown): Array<[string, string]> {
  if (typeof text !== 'string') throw badResponse('the response headers are not a header list', 'build headers with new Headers() or a plain object');
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts.length % 2 !== 0) throw badResponse('a response header is not a name and a value', 'build headers with new Headers() or a plain object');
  if (parts.length / 2 > RESPONSE_LIMITS.headers) throw badResponse(`the response has more than ${RESPONSE_LIMITS.headers} headers`, 'send fewer headers');
  const out: Array<[string, string]> = [];
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i];
    const value = parts[i + 1];
    if (!HEADER_NAME.test(name) || HEADER_VALUE_FORBIDDEN.test(value) || name.length + value.length > RESPONSE_LIMITS.headerChars) {
      throw badResponse(`the response header ${JSON.stringify(name.slice(0, 64))} is invalid or too long`, `header names are HTTP tokens; values have no CR, LF or NUL and are under ${RESPONSE_LIMITS.headerChars} characters`);
    }
    const lower = name.toLowerCase();
    if (!FRAMING_HEADERS.has(lower)) out.push([lower, value]);
  }
  return out;
}

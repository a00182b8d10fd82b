/**
 * WAGI: CGI (RFC 3875) over WASI. A request becomes a command module's environment variables,
 * arguments and stdin; what the module prints on stdout is a CGI response (headers, a blank line,
 * the body) that becomes the GuestResponse. The WAGI additions (X_FULL_URL, X_RAW_PATH_INFO,
 * X_MATCHED_ROUTE, query parameters as arguments) follow deislabs/wagi's documented behaviour.
 */
import { SandboxError } from '../errors.js';
import type { GuestRequest, GuestResponse } from '../request.js';

export interface CgiOptions {
  /** The route prefix the app is mounted at (SCRIPT_NAME); PATH_INFO is what follows it. Default ''. */
  scriptName?: string;
  /** Default: the Host header's name, else `localhost`. */
  serverName?: string;
  /** Default: the Host header's port, else 80. */
  serverPort?: number;
  /** The client's address, when the front door knows it. Default ''. */
  remoteAddr?: string;
}

/** Bigger header sections are refused: a program printing its body without headers would otherwise be scanned to the end. */
export const MAX_CGI_HEADER_BYTES = 64 * 1024;

const HINT = 'a CGI program prints headers, a blank line, then the body, e.g. "Content-Type: text/plain\\n\\nhello"';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/**
 * Framing and the connection are the server's business (the body's length is known): the program's
 * own claims are dropped, as the flick ABI and JS apps drop them (a `Trailer` on a framed body would
 * even make Node refuse the whole response).
 */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer']);

/** The CGI meta-variables of a request, in a fixed order (CGI ones, then HTTP_* in header order). */
export function cgiEnvironment(request: GuestRequest, opts: CgiOptions = {}): Array<[string, string]> {
  const { path, query } = splitUrl(request.url);
  const scriptName = opts.scriptName ?? '';
  const rawPathInfo = scriptName !== '' && path.startsWith(scriptName) ? path.slice(scriptName.length) : path;
  const pathInfo = percentDecode(rawPathInfo);
  const host = headerValue(request, 'host');
  const [hostName, hostPort] = splitHost(host);
  const serverName = opts.serverName ?? hostName ?? 'localhost';
  const serverPort = String(opts.serverPort ?? hostPort ?? 80);
  const env: Array<[string, string]> = [
    ['AUTH_TYPE', ''],
    ['CONTENT_LENGTH', String(request.body.length)],
    ['CONTENT_TYPE', headerValue(request, 'content-type') ?? ''],
    ['GATEWAY_INTERFACE', 'CGI/1.1'],
    ['PATH_INFO', pathInfo],
    ['PATH_TRANSLATED', pathInfo],
    ['QUERY_STRING', query],
    ['REMOTE_ADDR', opts.remoteAddr ?? ''],
    ['REMOTE_HOST', opts.remoteAddr ?? ''],
    ['REMOTE_USER', ''],
    ['REQUEST_METHOD', request.method],
    ['SCRIPT_NAME', scriptName],
    ['SERVER_NAME', serverName],
    ['SERVER_PORT', serverPort],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['SERVER_SOFTWARE', 'flick'],
    ['X_FULL_URL', `http://${host ?? `${serverName}:${serverPort}`}${request.url}`],
    ['X_MATCHED_ROUTE', scriptName === '' ? '/...' : `${scriptName}/...`],
    ['X_RAW_PATH_INFO', rawPathInfo],
  ];
  return [...env, ...httpVariables(request)];
}

/** WAGI hands the query parameters (decoded) to the program as arguments after its name. */
export function cgiArguments(program: string, request: GuestRequest): string[] {
  const { query } = splitUrl(request.url);
  const params = query === '' ? [] : query.split('&').filter((p) => p !== '');
  return [program, ...params.map((p) => percentDecode(p.replace(/\+/g, ' ')))];
}

/**
 * Parses a CGI response. Anything malformed is a SandboxError 'bad_response' naming what is wrong;
 * no other error can come out of it, whatever the bytes.
 */
export function parseCgiResponse(output: Uint8Array): GuestResponse {
  if (output.length === 0) throw badResponse('the program wrote nothing to stdout');
  let status: number | null = null;
  let hasContentType = false;
  let hasLocation = false;
  const headers: Array<[string, string]> = [];
  let pos = 0;
  for (let lineNo = 1; ; lineNo++) {
    const newline = output.indexOf(0x0a, pos);
    if (newline < 0 || newline > MAX_CGI_HEADER_BYTES) {
      throw badResponse(
        newline < 0
          ? 'no blank line ends the headers'
          : `no blank line within the first ${MAX_CGI_HEADER_BYTES} bytes: the headers are missing or too large`,
      );
    }
    const end = newline > pos && output[newline - 1] === 0x0d ? newline - 1 : newline;
    const line = Buffer.from(output.buffer, output.byteOffset + pos, end - pos).toString('latin1');
    pos = newline + 1;
    if (line === '') break;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw badResponse(`line ${lineNo} is not a header ("Name: value"): ${preview(line)}`);
    const value = line.slice(colon + 1).trim();
    if (CONTROL.test(value)) throw badResponse(`header ${preview(name)} has a control character in its value`);
    const lower = name.toLowerCase();
    if (lower === 'status') {
      if (status !== null) throw badResponse('the Status header appears twice');
      status = parseStatus(value);
      continue;
    }
    if (lower === 'content-type') hasContentType = true;
    if (lower === 'location') hasLocation = true;
    if (!FRAMING_HEADERS.has(lower)) headers.push([lower, value]);
  }
  if (status === null && !hasContentType && !hasLocation) {
    throw badResponse('the headers have none of Content-Type, Location or Status');
  }
  // RFC 3875 §6.2.3: a Location without a Status is a redirect. The body is copied into a plain
  // Uint8Array (not a Buffer) so the response stays structured-cloneable plain data.
  return { status: status ?? (hasLocation ? 302 : 200), headers, body: new Uint8Array(output.subarray(pos)) };
}

/** A final status: a 1xx is an interim answer, after which the client would wait for the real one. */
function parseStatus(value: string): number {
  const match = /^(\d{3})(?:[ \t].*)?$/.exec(value);
  const code = match ? Number(match[1]) : 0;
  if (code < 200 || code > 599) throw badResponse(`Status must be a code from 200 to 599 and an optional reason, not ${preview(value)}`);
  return code;
}

function badResponse(problem: string): SandboxError {
  return new SandboxError('bad_response', `the app's CGI response is malformed: ${problem}`, HINT, 502);
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function splitUrl(url: string): { path: string; query: string } {
  const noFragment = url.split('#', 1)[0];
  const q = noFragment.indexOf('?');
  return q < 0 ? { path: noFragment, query: '' } : { path: noFragment.slice(0, q), query: noFragment.slice(q + 1) };
}

/** Decodes %XX escapes; a malformed escape leaves the text as it came (CGI gets bytes, not errors). */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Repeated headers joined as HTTP allows (`;` for cookies, `,` for the rest). */
function headerValue(request: GuestRequest, name: string): string | undefined {
  const values = request.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(name === 'cookie' ? '; ' : ', ');
}

function splitHost(host: string | undefined): [string | undefined, number | undefined] {
  const match = host === undefined ? null : /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  if (!match) return [undefined, undefined];
  return [match[1], match[2] === undefined ? undefined : Number(match[2])];
}

/**
 * HTTP_* variables. Content-Type and Content-Length already have their own variables. Names with
 * anything but letters, digits and '-' are dropped: `X_Forwarded` would otherwise pose as
 * `X-Forwarded`. A `Proxy` header is dropped too, or it would become HTTP_PROXY, which HTTP client
 * libraries read as their proxy setting ("httpoxy").
 */
function httpVariables(request: GuestRequest): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [rawName] of request.headers) {
    const name = rawName.toLowerCase();
    if (seen.has(name) || name === 'content-type' || name === 'content-length' || name === 'proxy' || !/^[a-z0-9-]+$/.test(name)) continue;
    seen.add(name);
    out.push([`HTTP_${name.toUpperCase().replace(/-/g, '_')}`, headerValue(request, name) ?? '']);
  }
  return out;
}

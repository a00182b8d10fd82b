/**
 * Guest source: URL and URLSearchParams. A small parser for the URLs apps actually handle
 * (hierarchical http(s)-style URLs with optional base, opaque ones such as `mailto:`), not the
 * whole WHATWG state machine: no IDNA, no IPv6 normalisation. Incoming request URLs are already
 * normalised by the host (Node's URL), so the common path only has to read them back.
 */
export const URL_SOURCE = String.raw`
const DEFAULT_PORTS = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21' };
const ABSOLUTE_URL = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s;
const AUTHORITY = /^\/\/(?:([^@\/?#]*)@)?(\[[^\]\/?#]*\]|[^:\/?#]*)(?::([^\/?#]*))?(.*)$/s;
const PATH_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@\/%]/;
const QUERY_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@\/?%]/;
const FORM_KEEP = /[A-Za-z0-9*\-._]/;

function percentEncode(text, keep) {
  let out = '';
  for (const ch of text) {
    if (keep.test(ch)) { out += ch; continue; }
    for (const b of utf8Encode(ch)) out += '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
  }
  return out;
}

function percentDecode(text) {
  const bytes = utf8Encode(text);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === 0x25 && i + 2 < bytes.length ? String.fromCharCode(bytes[i + 1], bytes[i + 2]) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) { out[n++] = parseInt(hex, 16); i += 2; }
    else out[n++] = bytes[i];
  }
  return utf8Decode(out.subarray(0, n), false);
}

function removeDotSegments(path) {
  const out = [];
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    const last = i === segments.length - 1;
    if (s === '..') { if (out.length > 1) out.pop(); if (last) out.push(''); }
    else if (s === '.') { if (last) out.push(''); }
    else out.push(s);
  }
  return out.join('/');
}

function splitTail(rest) {
  const hashAt = rest.indexOf('#');
  const hash = hashAt < 0 ? '' : rest.slice(hashAt);
  const beforeHash = hashAt < 0 ? rest : rest.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  return {
    path: queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt),
    search: queryAt < 0 ? '' : beforeHash.slice(queryAt),
    hash,
  };
}

function parseAbsolute(input) {
  const m = ABSOLUTE_URL.exec(input);
  if (!m) return null;
  const protocol = m[1].toLowerCase() + ':';
  const special = protocol in DEFAULT_PORTS;
  let rest = special ? m[2].replace(/\\/g, '/') : m[2];
  const parts = { protocol, username: '', password: '', hostname: '', port: '', opaque: false };
  const auth = rest.startsWith('//') ? AUTHORITY.exec(rest) : null;
  if (auth) {
    if (auth[1] !== undefined) {
      const colon = auth[1].indexOf(':');
      parts.username = colon < 0 ? auth[1] : auth[1].slice(0, colon);
      parts.password = colon < 0 ? '' : auth[1].slice(colon + 1);
    }
    parts.hostname = auth[2].toLowerCase();
    if (special && parts.hostname === '') throw new TypeError('Invalid URL: ' + input);
    const port = auth[3] ?? '';
    if (!/^\d*$/.test(port) || Number(port) > 65535) throw new TypeError('Invalid URL: ' + input);
    parts.port = port === '' || port === DEFAULT_PORTS[protocol] ? '' : String(Number(port));
    rest = auth[4];
  } else if (special) {
    throw new TypeError('Invalid URL: ' + input);
  } else {
    parts.opaque = !rest.startsWith('/');
  }
  const tail = splitTail(rest);
  parts.pathname = parts.opaque ? tail.path : removeDotSegments(tail.path || (special ? '/' : ''));
  parts.search = tail.search;
  parts.hash = tail.hash;
  return parts;
}

function resolveRelative(input, base) {
  if (base.opaque) throw new TypeError('Invalid URL: ' + input + ' cannot be relative to an opaque base');
  if (input.startsWith('//')) return parseAbsolute(base.protocol + input);
  const tail = splitTail(input);
  const parts = Object.assign({}, base, { search: tail.search, hash: tail.hash });
  if (tail.path === '') {
    parts.pathname = base.pathname;
    if (tail.search === '') parts.search = base.search;
  } else if (tail.path.startsWith('/')) {
    parts.pathname = removeDotSegments(tail.path);
  } else {
    parts.pathname = removeDotSegments(base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1) + tail.path);
  }
  return parts;
}

function parseURL(input, base) {
  const text = String(input).replace(/[\t\n\r]/g, '').replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
  const absolute = parseAbsolute(text);
  if (absolute) return absolute;
  if (base === undefined) throw new TypeError('Invalid URL: ' + text + ' (a relative URL needs a base)');
  return resolveRelative(text, base instanceof URL ? urlPartsOf(base) : parseURL(base));
}

let urlPartsOf;

class URL {
  #parts;
  #searchParams;
  constructor(url, base) {
    this.#parts = parseURL(url, base);
    const p = this.#parts;
    if (!p.opaque) p.pathname = percentEncode(p.pathname, PATH_KEEP);
    p.search = p.search === '?' ? '' : percentEncode(p.search, QUERY_KEEP);
    p.hash = p.hash === '#' ? '' : p.hash;
    this.#searchParams = new URLSearchParams(p.search);
    linkSearchParams(this.#searchParams, (query) => { p.search = query === '' ? '' : '?' + query; });
  }
  static {
    urlPartsOf = (url) => url.#parts;
  }
  static canParse(url, base) {
    try { new URL(url, base); return true; } catch { return false; }
  }
  get protocol() { return this.#parts.protocol; }
  get username() { return this.#parts.username; }
  get password() { return this.#parts.password; }
  get hostname() { return this.#parts.hostname; }
  get port() { return this.#parts.port; }
  get host() { return this.#parts.hostname + (this.#parts.port ? ':' + this.#parts.port : ''); }
  get origin() { return this.#parts.protocol in DEFAULT_PORTS ? this.#parts.protocol + '//' + this.host : 'null'; }
  get pathname() { return this.#parts.pathname; }
  set pathname(value) { if (!this.#parts.opaque) this.#parts.pathname = percentEncode(removeDotSegments('/' + String(value).replace(/^\//, '')), PATH_KEEP); }
  get search() { return this.#parts.search; }
  set search(value) {
    const query = String(value).replace(/^\?/, '');
    this.#parts.search = query === '' ? '' : '?' + percentEncode(query, QUERY_KEEP);
    replaceSearchParams(this.#searchParams, query);
  }
  get searchParams() { return this.#searchParams; }
  get hash() { return this.#parts.hash; }
  set hash(value) { const h = String(value).replace(/^#/, ''); this.#parts.hash = h === '' ? '' : '#' + h; }
  get href() {
    const p = this.#parts;
    const auth = p.username || p.password ? p.username + (p.password ? ':' + p.password : '') + '@' : '';
    const authority = p.opaque || (p.hostname === '' && !(p.protocol in DEFAULT_PORTS) && auth === '') ? '' : '//' + auth + this.host;
    return p.protocol + authority + p.pathname + p.search + p.hash;
  }
  toString() { return this.href; }
  toJSON() { return this.href; }
}

let linkSearchParams;
let replaceSearchParams;

function parseQuery(query) {
  const list = [];
  for (const pair of query.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    list.push([percentDecode(name.replace(/\+/g, ' ')), percentDecode(value.replace(/\+/g, ' '))]);
  }
  return list;
}

class URLSearchParams {
  #list = [];
  #onChange = null;
  constructor(init = '') {
    if (init instanceof URLSearchParams) this.#list = init.#list.map((e) => [e[0], e[1]]);
    else if (typeof init === 'object' && init !== null && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const e = Array.from(pair);
        if (e.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two items');
        this.#list.push([String(e[0]), String(e[1])]);
      }
    } else if (typeof init === 'object' && init !== null) {
      for (const key of Object.keys(init)) this.#list.push([key, String(init[key])]);
    } else {
      this.#list = parseQuery(String(init));
    }
  }
  static {
    linkSearchParams = (params, onChange) => { params.#onChange = onChange; };
    replaceSearchParams = (params, query) => { params.#list = parseQuery(query); };
  }
  #changed() { if (this.#onChange) this.#onChange(this.toString()); }
  get size() { return this.#list.length; }
  append(name, value) { this.#list.push([String(name), String(value)]); this.#changed(); }
  delete(name, value) {
    name = String(name);
    this.#list = this.#list.filter((e) => e[0] !== name || (value !== undefined && e[1] !== String(value)));
    this.#changed();
  }
  get(name) { const e = this.#list.find((x) => x[0] === String(name)); return e ? e[1] : null; }
  getAll(name) { return this.#list.filter((x) => x[0] === String(name)).map((x) => x[1]); }
  has(name, value) { return this.#list.some((e) => e[0] === String(name) && (value === undefined || e[1] === String(value))); }
  set(name, value) {
    name = String(name);
    const at = this.#list.findIndex((e) => e[0] === name);
    if (at < 0) this.#list.push([name, String(value)]);
    else {
      this.#list = this.#list.filter((e, i) => i <= at || e[0] !== name);
      this.#list[at] = [name, String(value)];
    }
    this.#changed();
  }
  sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#changed(); }
  forEach(callback, thisArg) { for (const [k, v] of this.#list) callback.call(thisArg, v, k, this); }
  *entries() { for (const [k, v] of this.#list) yield [k, v]; }
  *keys() { for (const e of this.#list) yield e[0]; }
  *values() { for (const e of this.#list) yield e[1]; }
  [Symbol.iterator]() { return this.entries(); }
  toString() {
    return this.#list.map((e) => percentEncode(e[0], FORM_KEEP).replace(/%20/g, '+') + '=' + percentEncode(e[1], FORM_KEEP).replace(/%20/g, '+')).join('&');
  }
}
`;

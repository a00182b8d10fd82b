/**
 * Guest source: Headers, Request, Response and the bodies they carry. Bodies are whole byte arrays
 * (flick hands requests over complete and frames responses itself), so there are no streams:
 * `text()`, `json()`, `arrayBuffer()` and `bytes()` read them. `headerListOf` and `bodyBytesOf`
 * let the boot code read the internals when it converts to and from the host's plain data.
 */
export const FETCH_API_SOURCE = String.raw`
const HEADER_NAME = /^[!#$%&'*+\-.^_\x60|~0-9A-Za-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
const NULL_BODY_STATUS = [101, 204, 205, 304];
const METHOD_TOKEN = HEADER_NAME;
const NORMALISED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'];

let headerListOf;

class Headers {
  #list = [];
  constructor(init) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      this.#list = init.#list.map((e) => [e[0], e[1]]);
    } else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const e = Array.from(pair);
        if (e.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
        this.append(e[0], e[1]);
      }
    } else if (typeof init === 'object') {
      for (const name of Object.keys(init)) this.append(name, init[name]);
    } else {
      throw new TypeError('Headers: init must be an object, an iterable of pairs or a Headers');
    }
  }
  static {
    headerListOf = (headers) => headers.#list;
  }
  static #name(name) {
    const n = String(name);
    if (!HEADER_NAME.test(n)) throw new TypeError('Invalid header name: ' + JSON.stringify(n));
    return n.toLowerCase();
  }
  static #value(value) {
    const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (HEADER_VALUE_FORBIDDEN.test(v)) throw new TypeError('Invalid header value (CR, LF or NUL)');
    return v;
  }
  append(name, value) { this.#list.push([Headers.#name(name), Headers.#value(value)]); }
  set(name, value) {
    const n = Headers.#name(name);
    const v = Headers.#value(value);
    const at = this.#list.findIndex((e) => e[0] === n);
    if (at < 0) { this.#list.push([n, v]); return; }
    // Only later duplicates are dropped, so the first one keeps its index.
    this.#list = this.#list.filter((e, i) => e[0] !== n || i === at);
    this.#list[at] = [n, v];
  }
  get(name) {
    const n = Headers.#name(name);
    const values = this.#list.filter((e) => e[0] === n).map((e) => e[1]);
    return values.length === 0 ? null : values.join(', ');
  }
  getSetCookie() { return this.#list.filter((e) => e[0] === 'set-cookie').map((e) => e[1]); }
  has(name) { const n = Headers.#name(name); return this.#list.some((e) => e[0] === n); }
  delete(name) { const n = Headers.#name(name); this.#list = this.#list.filter((e) => e[0] !== n); }
  // Iteration is sorted and combined, except set-cookie, as the Fetch spec says.
  *entries() {
    const names = [...new Set(this.#list.map((e) => e[0]))].sort();
    for (const n of names) {
      if (n === 'set-cookie') for (const v of this.getSetCookie()) yield [n, v];
      else yield [n, this.get(n)];
    }
  }
  *keys() { for (const e of this.entries()) yield e[0]; }
  *values() { for (const e of this.entries()) yield e[1]; }
  forEach(callback, thisArg) { for (const [n, v] of this.entries()) callback.call(thisArg, v, n, this); }
  [Symbol.iterator]() { return this.entries(); }
}

// A body init as bytes plus the content type it implies.
function extractBody(body) {
  if (body === undefined || body === null) return { bytes: null, type: null };
  if (typeof body === 'string') return { bytes: utf8Encode(body), type: 'text/plain;charset=UTF-8' };
  if (body instanceof URLSearchParams) return { bytes: utf8Encode(body.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return { bytes: toBytes(body, 'body').slice(), type: null };
  if (typeof body === 'object' && typeof body.getReader === 'function') throw new TypeError('Streaming bodies are not supported: pass a string or bytes');
  return { bytes: utf8Encode(String(body)), type: 'text/plain;charset=UTF-8' };
}

let bodyBytesOf;
// Marks a Request the boot code builds from what the host sent: its URL is already the href of a
// parsed URL, so it is taken as it is (parsing it again was a sixth of a hello call).
const FROM_HOST = Symbol('from host');

class Body {
  #bytes;
  #used = false;
  constructor(bytes) { this.#bytes = bytes; }
  static {
    bodyBytesOf = (holder) => holder.#bytes;
  }
  get bodyUsed() { return this.#used; }
  #take() {
    if (this.#used) return Promise.reject(new TypeError('Body has already been used'));
    this.#used = true;
    return Promise.resolve(this.#bytes ?? new Uint8Array(0));
  }
  arrayBuffer() { return this.#take().then((b) => b.slice().buffer); }
  bytes() { return this.#take().then((b) => b.slice()); }
  text() { return this.#take().then((b) => utf8Decode(b, false)); }
  json() { return this.text().then((t) => JSON.parse(t)); }
}

class Request extends Body {
  #method;
  #url;
  #headers;
  #redirect;
  constructor(input, init = {}) {
    const source = input instanceof Request ? input : null;
    const hasBody = init.body !== undefined && init.body !== null;
    const extracted = hasBody ? extractBody(init.body) : { bytes: source ? bodyBytesOf(source) : null, type: null };
    super(extracted.bytes);
    let method = init.method !== undefined ? String(init.method) : source ? source.method : 'GET';
    if (!METHOD_TOKEN.test(method)) throw new TypeError('Invalid method: ' + JSON.stringify(method));
    if (NORMALISED_METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
    if ((method === 'GET' || method === 'HEAD') && extracted.bytes !== null) throw new TypeError('Request with GET/HEAD method cannot have a body');
    this.#method = method;
    this.#url = source ? source.url : init[FROM_HOST] === true ? input : new URL(String(input)).href;
    this.#headers = new Headers(init.headers !== undefined ? init.headers : source ? source.headers : undefined);
    if (extracted.type && !this.#headers.has('content-type')) this.#headers.set('content-type', extracted.type);
    this.#redirect = init.redirect ?? (source ? source.redirect : 'follow');
  }
  get method() { return this.#method; }
  get url() { return this.#url; }
  get headers() { return this.#headers; }
  get redirect() { return this.#redirect; }
  clone() {
    if (this.bodyUsed) throw new TypeError('Cannot clone a Request whose body has been used');
    return new Request(this);
  }
}

class Response extends Body {
  #status;
  #statusText;
  #headers;
  #type;
  constructor(body = null, init = {}) {
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError('Response status must be 200 to 599, not ' + init.status);
    const extracted = extractBody(body);
    if (extracted.bytes !== null && NULL_BODY_STATUS.includes(status)) throw new TypeError('Response with status ' + status + ' cannot have a body');
    super(extracted.bytes);
    this.#status = status;
    this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
    this.#headers = new Headers(init.headers);
    if (extracted.type && !this.#headers.has('content-type')) this.#headers.set('content-type', extracted.type);
    this.#type = 'default';
  }
  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the value is not JSON-serialisable');
    const headers = new Headers(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, Object.assign({}, init, { headers }));
  }
  static redirect(url, status = 302) {
    if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError('Response.redirect: invalid redirect status ' + status);
    return new Response(null, { status, headers: { location: new URL(String(url)).href } });
  }
  static error() {
    const r = new Response(null, { status: 200 });
    r.#status = 0;
    r.#type = 'error';
    return r;
  }
  get status() { return this.#status; }
  get statusText() { return this.#statusText; }
  get ok() { return this.#status >= 200 && this.#status <= 299; }
  get headers() { return this.#headers; }
  get type() { return this.#type; }
  get redirected() { return false; }
  get url() { return ''; }
  clone() {
    if (this.bodyUsed) throw new TypeError('Cannot clone a Response whose body has been used');
    const bytes = bodyBytesOf(this);
    return new Response(bytes, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
  }
}
`;

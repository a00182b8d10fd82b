/**
 * Guest source: the Web-standard globals and `__flickBoot`, which the host calls once per instance,
 * before any app code runs, with its capability callbacks. Boot removes itself from the global
 * object, keeps the callbacks in this closure (app code never sees them), installs `console`,
 * `crypto` and `fetch`, builds `env`, and returns the bridge the host drives the instance through.
 *
 * Nothing here is trusted by the host: app code can patch any built-in this code uses. That can
 * only break the app's own answers; the host validates everything that comes back.
 */
export const BOOT_SOURCE = String.raw`
function defineGlobal(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}
for (const [name, value] of Object.entries({ TextEncoder, TextDecoder, URL, URLSearchParams, Headers, Request, Response })) defineGlobal(name, value);

function formatLogArg(value) {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack || String(value);
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function errorText(error) {
  try {
    if (error instanceof Error) return error.stack || error.name + ': ' + error.message;
    return 'uncaught ' + String(error);
  } catch {
    return 'uncaught value that cannot be printed';
  }
}

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
const RANDOM_QUOTA = 65536;

function makeCrypto(host) {
  const crypto = {
    getRandomValues(array) {
      if (!INTEGER_ARRAYS.some((T) => array instanceof T)) throw new TypeError('crypto.getRandomValues: the argument must be an integer typed array');
      if (array.byteLength > RANDOM_QUOTA) {
        const e = new Error('crypto.getRandomValues: at most ' + RANDOM_QUOTA + ' bytes per call');
        e.name = 'QuotaExceededError';
        throw e;
      }
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(host.random(array.byteLength));
      return array;
    },
    randomUUID() {
      const b = crypto.getRandomValues(new Uint8Array(16));
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const hex = Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('');
      return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
    },
  };
  return crypto;
}

function makeKvNamespace(host, name) {
  const keyBytes = (key) => utf8Encode(String(key));
  return Object.freeze({
    async get(key, options) {
      const type = typeof options === 'string' ? options : (options && options.type) || 'text';
      const bytes = host.kvGet(name, keyBytes(key));
      if (bytes === null || bytes === undefined) return null;
      switch (type) {
        case 'text': return utf8Decode(bytes, false);
        case 'json': return JSON.parse(utf8Decode(bytes, false));
        case 'arrayBuffer': return bytes.slice().buffer;
        case 'bytes': return bytes;
        default: throw new TypeError('KV get: type must be "text", "json", "arrayBuffer" or "bytes", not ' + type);
      }
    },
    async put(key, value) {
      host.kvPut(name, keyBytes(key), typeof value === 'string' ? utf8Encode(value) : toBytes(value, 'KV value').slice());
    },
    async delete(key) {
      host.kvDelete(name, keyBytes(key));
    },
  });
}

function responseFromPlain(plain) {
  const body = NULL_BODY_STATUS.includes(plain.status) ? null : plain.body;
  return new Response(body, { status: plain.status, statusText: plain.statusText, headers: plain.headers });
}

// Header lists cross the boundary as one string: names and values alternating, joined by NUL.
function headerPairs(text) {
  const pairs = [];
  if (text === '') return pairs;
  const parts = text.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([parts[i], parts[i + 1]]);
  return pairs;
}

function headerText(list) {
  let text = '';
  for (let i = 0; i < list.length; i++) text += (i === 0 ? '' : '\0') + list[i][0] + '\0' + list[i][1];
  return text;
}

function requestFromHost(method, url, headers, body) {
  return new Request(url, { method, headers: headerPairs(headers), body: method === 'GET' || method === 'HEAD' ? null : body, [FROM_HOST]: true });
}

Object.defineProperty(globalThis, '__flickBoot', {
  configurable: true,
  value: function boot(host, config) {
    delete globalThis.__flickBoot;
    const log = (level) => (...args) => host.log(level, args.map(formatLogArg).join(' '));
    defineGlobal('console', { debug: log('debug'), log: log('info'), info: log('info'), warn: log('warn'), error: log('error'), trace: log('debug') });
    defineGlobal('crypto', makeCrypto(host));

    // Outbound requests of the call in flight, by id; the host settles them through complete().
    const pendingFetches = new Map();
    let nextFetchId = 1;
    defineGlobal('fetch', function fetch(input, init) {
      try {
        const request = new Request(input, init);
        const id = nextFetchId++;
        host.fetchStart(id, { method: request.method, url: request.url, headers: headerListOf(request.headers), body: bodyBytesOf(request) ?? new Uint8Array(0) });
        return new Promise((resolve, reject) => pendingFetches.set(id, { resolve, reject }));
      } catch (e) {
        return Promise.reject(e);
      }
    });

    const env = { KV: Object.freeze(Object.fromEntries(config.kv.map((name) => [name, makeKvNamespace(host, name)]))), state: JSON.parse(config.stateJson) };
    let handler = null;
    const fail = (callId, kind, message) => host.fail(callId, kind, message);
    const finish = (callId, response) => {
      if (!(response instanceof Response)) fail(callId, 'not_response', 'the fetch handler returned ' + Object.prototype.toString.call(response) + ', not a Response');
      else if (response.bodyUsed) fail(callId, 'not_response', 'the fetch handler returned a Response whose body was already read');
      else if (response.type === 'error') fail(callId, 'not_response', 'the fetch handler returned Response.error()');
      else host.respond(callId, response.status, headerText(headerListOf(response.headers)), bodyBytesOf(response) ?? new Uint8Array(0));
    };

    return {
      install(namespace) {
        const exported = namespace.default;
        if (exported === null || typeof exported !== 'object' || typeof exported.fetch !== 'function') {
          throw new TypeError('the bundle has no default export with a fetch method');
        }
        handler = exported;
      },
      dispatch(callId, method, url, headers, body) {
        // Fetches left over from an earlier call were abandoned by the host when that call ended.
        pendingFetches.clear();
        let result;
        try {
          result = handler.fetch(requestFromHost(method, url, headers, body), env);
        } catch (e) {
          fail(callId, 'threw', errorText(e));
          return;
        }
        Promise.resolve(result).then((response) => finish(callId, response), (e) => fail(callId, 'threw', errorText(e)));
      },
      complete(fetchId, ok, payload) {
        const pending = pendingFetches.get(fetchId);
        if (!pending) return;
        pendingFetches.delete(fetchId);
        if (!ok) pending.reject(new TypeError(payload));
        else {
          try {
            pending.resolve(responseFromPlain(payload));
          } catch (e) {
            pending.reject(e);
          }
        }
      },
      readState() {
        const json = JSON.stringify(env.state);
        return json === undefined ? 'null' : json;
      },
    };
  },
});
`;

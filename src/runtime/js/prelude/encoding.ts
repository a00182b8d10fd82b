/**
 * Guest source: UTF-8 and byte helpers, TextEncoder and TextDecoder. A bare V8 context has none of
 * them, and everything else in the prelude (bodies, URLs, KV keys) is built on these.
 */
export const ENCODING_SOURCE = String.raw`
function toBytes(source, what) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  throw new TypeError(what + ' must be an ArrayBuffer or a typed array');
}

function utf8Encode(input) {
  const str = String(input);
  const out = new Uint8Array(str.length * 3);
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < str.length ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 63);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return out.slice(0, n);
}

// Decodes with U+FFFD for malformed sequences (or throws when fatal), as the Encoding spec does.
function utf8Decode(bytes, fatal) {
  const units = [];
  let text = '';
  const flush = () => {
    text += String.fromCharCode.apply(null, units);
    units.length = 0;
  };
  const bad = () => {
    if (fatal) throw new TypeError('The encoded data was not valid utf-8');
    units.push(0xfffd);
  };
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let need = 0;
    let c = 0;
    let min = 0;
    if (b < 0x80) { units.push(b); i++; }
    else if (b >= 0xc2 && b <= 0xdf) { need = 1; c = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; c = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; c = b & 0x07; min = 0x10000; }
    else { bad(); i++; }
    if (need > 0) {
      let j = 1;
      for (; j <= need && i + j < bytes.length && (bytes[i + j] & 0xc0) === 0x80; j++) c = (c << 6) | (bytes[i + j] & 63);
      if (j <= need || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        bad();
        i += j;
      } else {
        if (c >= 0x10000) units.push(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 0x3ff));
        else units.push(c);
        i += need + 1;
      }
    }
    if (units.length >= 8192) flush();
  }
  flush();
  return text;
}

class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') { return utf8Encode(input); }
}

const UTF8_LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8'];

class TextDecoder {
  #fatal;
  #ignoreBOM;
  constructor(label = 'utf-8', options = {}) {
    if (!UTF8_LABELS.includes(String(label).trim().toLowerCase())) throw new RangeError('TextDecoder: only utf-8 is supported, not ' + label);
    this.#fatal = Boolean(options.fatal);
    this.#ignoreBOM = Boolean(options.ignoreBOM);
  }
  get encoding() { return 'utf-8'; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input) {
    if (input === undefined) return '';
    let bytes = toBytes(input, 'TextDecoder.decode input');
    if (!this.#ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    return utf8Decode(bytes, this.#fatal);
  }
}
`;

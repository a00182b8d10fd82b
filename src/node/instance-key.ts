/**
 * Where a per-key instance's key comes from, as the manifest declares it: a header, a cookie, or a
 * path segment. No key means the empty key: those requests share one instance.
 */
import type { KeySource } from '../image/manifest.js';
import type { GuestRequest } from '../runtime/request.js';

export function instanceKey(source: KeySource, request: GuestRequest): string {
  switch (source.from) {
    case 'header': {
      const name = source.name.toLowerCase();
      for (const [k, v] of request.headers) if (k === name) return v;
      return '';
    }
    case 'cookie': {
      for (const [k, v] of request.headers) {
        if (k !== 'cookie') continue;
        for (const part of v.split(';')) {
          const eq = part.indexOf('=');
          if (eq > 0 && part.slice(0, eq).trim() === source.name) return decodeURIComponent(part.slice(eq + 1).trim());
        }
      }
      return '';
    }
    case 'path': {
      const q = request.url.indexOf('?');
      const path = q < 0 ? request.url : request.url.slice(0, q);
      return decodeURIComponent(path.split('/').filter((s) => s !== '')[source.segment] ?? '');
    }
  }
}

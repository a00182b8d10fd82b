/** Paths inside a file tree: '' is the root, segments joined by '/', never '.' or '..'. */

/** The parent of a normalised path ('' for the root and for top-level names). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * Resolves a guest path relative to a directory of the tree. Returns null when the path leaves the
 * tree (`..` above its root, or an absolute path: wasi-libc turns absolute paths into preopen-relative
 * ones before calling, so one reaching the host is an escape attempt).
 */
export function resolveGuestPath(dir: string, guestPath: string): string | null {
  if (guestPath.startsWith('/')) return null;
  const segments = dir === '' ? [] : dir.split('/');
  for (const segment of guestPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.join('/');
}

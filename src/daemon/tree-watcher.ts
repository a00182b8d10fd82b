/**
 * Watches a directory tree for changes. `fs.watch(dir, { recursive: true })` is not supported on
 * Linux with Node 20, so the tree is walked and each directory gets its own watcher; a directory
 * created later is picked up when its parent reports it.
 */
import { watch, readdirSync, statSync, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Directories that never hold app sources: build output (the build itself writes there, which
 * would rebuild forever), dependencies, and dot-directories (.git, a --data directory like
 * .flick-data that the node writes to).
 */
export function isIgnoredDir(name: string): boolean {
  return name === 'build' || name === 'node_modules' || name.startsWith('.');
}

export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;

  /** `onChange` gets the changed path relative to `root`. */
  constructor(
    private readonly root: string,
    private readonly onChange: (path: string) => void,
  ) {
    this.watchTree(root);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private watchTree(dir: string): void {
    if (this.closed || this.watchers.has(dir)) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed between the event and the walk
    }
    const watcher = watch(dir, (_event, name) => this.changed(dir, name === null ? null : String(name)));
    // A watched directory that is deleted reports an error on some platforms: stop watching it.
    watcher.on('error', () => this.unwatch(dir));
    this.watchers.set(dir, watcher);
    for (const e of entries) if (e.isDirectory() && !isIgnoredDir(e.name)) this.watchTree(join(dir, e.name));
  }

  private changed(dir: string, name: string | null): void {
    if (this.closed) return;
    if (name !== null) {
      const path = join(dir, name);
      if (isDirectory(path)) {
        if (isIgnoredDir(name)) return;
        this.watchTree(path);
      }
      this.onChange(relative(this.root, path));
    } else {
      this.onChange(relative(this.root, dir));
    }
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

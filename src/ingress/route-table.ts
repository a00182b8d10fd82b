/**
 * Which app a request is for: `NAME.localhost` (any port) by Host, else the longest matching route
 * an app's manifest declares (`/prefix/*`, `/exact`, `host/prefix/*`).
 */
interface Route {
  host: string | null;
  path: string;
  prefix: boolean;
  app: string;
}

export class RouteTable {
  private routes: Route[] = [];
  private readonly apps = new Set<string>();

  /** Replaces everything an app declares. */
  setApp(app: string, patterns: readonly string[]): void {
    this.apps.add(app);
    this.routes = this.routes.filter((r) => r.app !== app);
    for (const p of patterns) this.routes.push(parseRoute(p, app));
    // Longest path first, host-specific before any-host: the first match is the most specific.
    this.routes.sort((a, b) => b.path.length - a.path.length || Number(b.host !== null) - Number(a.host !== null));
  }

  removeApp(app: string): void {
    this.apps.delete(app);
    this.routes = this.routes.filter((r) => r.app !== app);
  }

  resolve(hostHeader: string | undefined, url: string): string | null {
    const host = (hostHeader ?? '').toLowerCase().replace(/:\d+$/, '');
    if (host.endsWith('.localhost')) {
      const name = host.slice(0, -'.localhost'.length);
      if (this.apps.has(name)) return name;
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const r of this.routes) {
      if (r.host !== null && r.host !== host) continue;
      if (r.prefix ? path === r.path || path.startsWith(r.path.endsWith('/') ? r.path : `${r.path}/`) : path === r.path) return r.app;
    }
    return null;
  }
}

function parseRoute(pattern: string, app: string): Route {
  const slash = pattern.indexOf('/');
  const host = slash > 0 ? pattern.slice(0, slash).toLowerCase() : null;
  let path = slash >= 0 ? pattern.slice(slash) : '/';
  const prefix = path.endsWith('/*');
  if (prefix) path = path.slice(0, -2) || '/';
  return { host, path, prefix, app };
}

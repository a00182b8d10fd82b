/**
 * Serves the dashboard at `/_flick/`. Without a session it answers a small form asking for the
 * node's token; `/_flick/?token=…` (what the form sends, or a link) sets the session cookie and
 * redirects to the clean URL so the token does not stay in the address bar or history.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bundleDashboard, prebuiltBundle, type DashboardBundle } from './bundle.js';
import { hasSession, sameSecret, sessionCookie } from './session.js';

export const DASHBOARD_PATH = '/_flick/';
const ASSETS = '/_flick/assets/';

export class DashboardServer {
  private bundle: Promise<DashboardBundle> | null = null;

  constructor(private readonly token: string) {}

  /** Answers dashboard paths; false for anything else. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    switch (url.pathname) {
      case '/_flick':
        redirect(res, DASHBOARD_PATH);
        return true;
      case DASHBOARD_PATH:
        this.page(req, res, url);
        return true;
      case `${ASSETS}main.js`:
        send(res, 200, 'text/javascript; charset=utf-8', (await this.assets()).js);
        return true;
      case `${ASSETS}main.css`:
        send(res, 200, 'text/css; charset=utf-8', (await this.assets()).css);
        return true;
      default:
        return false;
    }
  }

  private page(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!sameSecret(given.trim(), this.token)) return send(res, 401, 'text/html; charset=utf-8', loginPage('That token is not this node\'s token.'));
      res.setHeader('set-cookie', sessionCookie(this.token));
      return redirect(res, DASHBOARD_PATH);
    }
    if (!hasSession(req, this.token)) return send(res, 401, 'text/html; charset=utf-8', loginPage(null));
    send(res, 200, 'text/html; charset=utf-8', APP_PAGE);
  }

  private assets(): Promise<DashboardBundle> {
    if (!this.bundle) {
      const prebuilt = prebuiltBundle();
      this.bundle = prebuilt ? Promise.resolve(prebuilt) : bundleDashboard();
      // A failed build is retried on the next request rather than cached.
      this.bundle.catch(() => (this.bundle = null));
    }
    return this.bundle;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  res.end(body);
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(303, { location: to, 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}

const HEAD = '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/_flick/assets/main.css">';

const APP_PAGE = `<!doctype html><html lang="en"><head>${HEAD}<title>flick</title></head><body><div id="app"></div><script src="/_flick/assets/main.js"></script></body></html>`;

function loginPage(error: string | null): string {
  return `<!doctype html><html lang="en"><head>${HEAD}<title>flick: sign in</title></head><body class="login">
<form method="get" action="/_flick/">
<h1>flick</h1>
<p>Enter this node's API token to open its dashboard.</p>
<p class="hint">A local node keeps it in <code>DATA_DIR/token</code> (<code>cat .flick-data/token</code>).</p>
${error ? `<p class="error" role="alert">${error}</p>` : ''}
<input name="token" type="password" autocomplete="current-password" placeholder="token" autofocus required aria-label="token">
<button type="submit">Open dashboard</button>
</form></body></html>`;
}

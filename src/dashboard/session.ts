/**
 * The dashboard's session: after the token is given once (`/_flick/?token=…` or the login form),
 * the browser holds an HttpOnly, SameSite=Strict cookie derived from it. The API accepts that
 * cookie in place of the bearer token only together with the `X-Flick-Dashboard` header, which a
 * page from another site cannot send without the node's consent (CORS): no cross-site mutations.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerMatches } from '../daemon/token.js';

export const SESSION_COOKIE = 'flick_session';
export const DASHBOARD_HEADER = 'x-flick-dashboard';

/** The cookie value: a MAC of the token, so the cookie is not itself the CLI's token. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('flick dashboard session').digest('base64url');
}

export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/_flick`;
}

export function hasSession(req: IncomingMessage, token: string): boolean {
  const given = cookieValue(req.headers.cookie, SESSION_COOKIE);
  return given !== undefined && sameSecret(given, sessionValue(token));
}

/** May this request change state: the bearer token, or a dashboard session from the dashboard itself. */
export function requestAuthorized(req: IncomingMessage, token: string): boolean {
  return bearerMatches(req.headers.authorization, token) || (req.headers[DASHBOARD_HEADER] !== undefined && hasSession(req, token));
}

export function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

// The dashboard's calls to the node. Mutations carry the dashboard header: with the session
// cookie it stands in for the bearer token (see src/dashboard/session.ts).
import type { Overview } from '../overview.js';
import type { Span } from '../../telemetry/traces.js';
import type { MemberInfo } from '../../cluster/membership.js';
import type { ScaleRecord } from '../../control/registry.js';

export type { Overview, MemberInfo };

export class ApiError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/_flick/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: { 'x-flick-dashboard': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const err = (parsed ?? {}) as { message?: string; hint?: string };
    throw new ApiError(err.message ?? `the node answered ${res.status}`, err.hint ?? '');
  }
  return parsed as T;
}

export const api = {
  overview: () => call<Overview>('GET', '/overview'),
  nodes: () => call<MemberInfo[]>('GET', '/nodes'),
  memberOverview: (name: string) => call<Overview>('GET', `/nodes/${encodeURIComponent(name)}/overview`),
  trace: (id: string) => call<{ traceId: string; spans: Span[] }>('GET', `/traces/${id}`),
  rollback: (app: string) => call<unknown>('POST', `/apps/${encodeURIComponent(app)}/rollback`),
  migrate: (instance: string, to: number) => call<{ pauseMs: number }>('POST', `/instances/${encodeURIComponent(instance)}/migrate`, { to }),
  scale: (app: string, replicas: number) => call<ScaleRecord>('POST', `/apps/${encodeURIComponent(app)}/scale`, { replicas }),
};

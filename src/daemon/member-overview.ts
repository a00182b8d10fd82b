/**
 * `GET /_flick/api/nodes/NAME/overview`: the overview of any member, read through the node serving
 * the dashboard, so one page shows every node's schedulers and instances. The serving node asks
 * the member itself (the cluster shares one token); the browser never talks to other nodes, so
 * they need no CORS and no second sign-in. A member that does not answer in time is a 502 naming
 * it, and the page shows that node's facts alone.
 */
import { request } from 'undici';
import type { MemberInfo } from '../cluster/membership.js';
import { answerError } from '../ingress/server.js';
import { get, json, type RouteDef } from './api.js';

const MEMBER_TIMEOUT_MS = 2000;

export interface MemberOverviewDeps {
  /** This node's name (`local` alone). */
  self: () => string;
  members: () => Promise<MemberInfo[]>;
  token: string;
  /** This node's own overview. */
  local: () => Promise<unknown>;
}

export function memberOverviewRoutes(deps: MemberOverviewDeps): RouteDef[] {
  return [
    get(/^\/nodes\/([a-z0-9-]{1,63})\/overview$/, async (_req, res, [name]) => {
      if (name === deps.self()) return json(res, 200, await deps.local());
      const member = (await deps.members()).find((m) => m.name === name);
      if (!member) return answerError(res, 404, 'no_such_node', `no node named '${name}' is in the cluster`, 'list the members with flick nodes');
      try {
        const answer = await request(`${member.address}/_flick/api/overview`, {
          headers: { authorization: `Bearer ${deps.token}` },
          headersTimeout: MEMBER_TIMEOUT_MS,
          bodyTimeout: MEMBER_TIMEOUT_MS,
        });
        const body = await answer.body.json();
        if (answer.statusCode !== 200) return answerError(res, 502, 'node_unreachable', `node ${name} answered its overview with ${answer.statusCode}`, 'see that node\'s logs');
        json(res, 200, body);
      } catch (e) {
        answerError(res, 502, 'node_unreachable', `node ${name} at ${member.address} did not answer: ${(e as Error).message}`, 'check that the node is up and reachable from this one');
      }
    }),
  ];
}

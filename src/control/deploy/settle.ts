/**
 * A deployment still "running" in the store whose runner is gone (the node crashed, or was killed
 * mid-deploy). The switch writes the route and the deployment record in one transaction, so the
 * route tells which side of the switch the crash fell on, and the history is corrected to say so.
 *
 * Alone, a node settles every running deployment when it starts (it ran them all). In a cluster,
 * a deployment names the node process running it (`by`) and the placer settles those whose
 * process is no longer a member.
 */
import type { DeploymentRecord, Registry, RouteRecord } from '../registry.js';

export function settledRecord(d: DeploymentRecord, route: RouteRecord | undefined, who: string): DeploymentRecord {
  const switched = route?.deployment === d.id;
  return {
    ...d,
    status: switched ? 'succeeded' : 'failed',
    reason: switched ? undefined : `interrupted by ${who} before its switch; the previous release kept serving`,
    finishedAt: new Date().toISOString(),
  };
}

/** One node's restart: every deployment still running was this node's and was cut off. */
export async function settleInterruptedDeployments(registry: Registry): Promise<void> {
  for (const app of await registry.apps({ withoutRoute: true })) {
    const route = await registry.route(app);
    for (const d of await registry.deployments(app)) {
      if (d.status === 'running') await registry.saveDeployment(settledRecord(d, route?.record, 'a restart of the node'));
    }
  }
}

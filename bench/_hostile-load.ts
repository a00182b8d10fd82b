/**
 * Hostile clients in a process of their own (`bench/_neighbours.ts`): they hammer the hostile apps
 * as fast as the node answers, and ignore Retry-After, as an attacker would. In the measuring
 * process their event-loop time would delay the reading of hello's answers and count as node
 * latency; here it competes for the machine's cores only, as a real neighbour's traffic does.
 */
import { serveCommands, type Message } from './_child.js';
import { AppClient, SteadyLoad, type Sample } from './_http.js';

/** What one hostile app was answered: counts by status and by `x-flick-error` code, and one body. */
export interface HostileAnswers {
  requests: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
  example: string;
}

export interface StartHostile extends Message {
  t: 'start';
  url: string;
  apps: string[];
  loops: number;
}
export interface HostileStarted extends Message {
  t: 'started';
}
export interface HostileStopped extends Message {
  t: 'stopped';
  answers: Record<string, HostileAnswers>;
}

export function tally(samples: Sample[]): HostileAnswers {
  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  for (const s of samples) {
    statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    const code = s.error ?? 'none';
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return { requests: samples.length, statuses, codes, example: samples[0]?.body.toString().slice(0, 300) ?? '' };
}

if (process.send) {
  let running: Array<{ app: string; client: AppClient; load: SteadyLoad }> = [];
  serveCommands(async (m) => {
    if (m.t === 'start') {
      const { url, apps, loops } = m as StartHostile;
      running = apps.map((app) => {
        const client = new AppClient(url, app, loops);
        return { app, client, load: new SteadyLoad(client, () => ({ path: '/' }), loops).start() };
      });
      return { t: 'started' } satisfies HostileStarted;
    }
    const answers: Record<string, HostileAnswers> = {};
    for (const r of running) {
      answers[r.app] = tally(await r.load.stop());
      await r.client.close();
    }
    running = [];
    return { t: 'stopped', answers } satisfies HostileStopped;
  });
  process.on('disconnect', () => process.exit(0));
}

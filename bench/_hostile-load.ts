/**
 * Hostile clients in a process of their own (`bench/_neighbours.ts`): they hammer the hostile apps
 * as fast as the node answers, and ignore Retry-After, as an attacker would; client attacks
 * (bench/_client-attacks.ts) aim at hello's front door. In the measuring process their event-loop
 * time would delay the reading of hello's answers and count as node latency; here it competes for
 * the machine's cores only, as a real neighbour's traffic does.
 */
import { serveCommands, type Message } from './_child.js';
import { AppClient, SteadyLoad, type AppRequest, type Sample } from './_http.js';
import { HOLD_BOUND_MS, isAppAttack, KEY_HEADER, type AppAttack, type Attack } from './_attacks.js';
import { ClientAttackRun } from './_client-attacks.js';

/** What one attack was answered: counts by status and by `x-flick-error` code, and one answer (an error if any). */
export interface HostileAnswers {
  requests: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
  example: string;
  /** Client attacks: how long the node held a connection before closing it, ms. */
  heldMs?: { p50: number; max: number } | null;
  /** Client attacks: connections the node had answered and still kept open, so the attacker closed them. */
  leftOpenByNode?: number;
  /** Slow attacks: connections still open (not yet cut) when the attack stopped. */
  openAtStop?: number;
}

export interface StartHostile extends Message {
  t: 'start';
  url: string;
  attacks: Attack[];
  /** Closed loops per app attack, and connections per client attack. */
  loops: number;
  connections: number;
  /** The host client attacks aim at (hello's). */
  victimHost: string;
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
  const shown = samples.find((s) => s.status !== 200) ?? samples[0]; // an error when there is one
  return { requests: samples.length, statuses, codes, example: shown?.body.toString().slice(0, 300) ?? '' };
}

interface Running {
  stop(): Promise<HostileAnswers>;
}

function appAttack(url: string, app: AppAttack, loops: number): Running {
  const client = new AppClient(url, app, loops);
  const header = KEY_HEADER[app];
  let n = 0;
  const next = (): AppRequest => (header ? { path: '/', headers: { [header]: `k${process.pid}-${n++}` } } : { path: '/' });
  const load = new SteadyLoad(client, next, loops).start();
  return {
    async stop() {
      const answers = tally(await load.stop());
      await client.close();
      return answers;
    },
  };
}

if (process.send) {
  let running = new Map<Attack, Running>();
  serveCommands(async (m) => {
    if (m.t === 'start') {
      const { url, attacks, loops, connections, victimHost } = m as StartHostile;
      // Slow clients are many idle connections; the others are as many busy loops as an app attack.
      const start = (a: Attack): Running => (isAppAttack(a) ? appAttack(url, a, loops) : new ClientAttackRun(a, url, victimHost, a in HOLD_BOUND_MS ? connections : loops));
      running = new Map(attacks.map((a) => [a, start(a)]));
      return { t: 'started' } satisfies HostileStarted;
    }
    const answers: Record<string, HostileAnswers> = {};
    for (const [attack, r] of running) answers[attack] = await r.stop();
    running = new Map();
    return { t: 'stopped', answers } satisfies HostileStopped;
  });
  process.on('disconnect', () => process.exit(0));
}

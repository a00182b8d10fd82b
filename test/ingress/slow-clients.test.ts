/**
 * Slow clients at the front door (issue 9 point 2), on a real node with short bounds: a head that
 * never ends (slowloris) and a body that trickles in are cut off with 408 once the node's bound on
 * them has passed, and while they are held the app they aim at still serves everyone else — a
 * trickling body holds its own connection, not one of the app's concurrency slots. The attackers
 * are the hostile suite's own (bench/_client-attacks.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientAttackRun } from '../../bench/_client-attacks.js';
import { startNode, type TestNode } from '../support/daemon.js';
import { statusWat, watImage } from '../support/wat-apps.js';
import { waitFor } from '../support/wait.js';

const HEADERS_TIMEOUT_MS = 600;
const REQUEST_TIMEOUT_MS = 1200;
/** Concurrency slots of each app: the slow clients are more than slots and queue together. */
const GATE = { limit: 4, queue: 4 };
const SLOW_CLIENTS = 3 * (GATE.limit + GATE.queue);

describe('slow clients', () => {
  let node: TestNode;

  before(async () => {
    node = await startNode({ ingress: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, gate: GATE } });
    await node.deploy(watImage(statusWat(200), { name: 'ok' }));
  });

  after(async () => {
    await node.stop();
  });

  for (const attack of ['slowloris', 'slow-body'] as const) {
    it(`${attack}: the app serves others while they are held, and the node cuts them off with 408`, async () => {
      const run = new ClientAttackRun(attack, node.daemon.url, 'ok.localhost', SLOW_CLIENTS);
      try {
        await waitFor(() => run.holding() === SLOW_CLIENTS);
        await new Promise((r) => setTimeout(r, 100)); // their heads (and, for slow bodies, the start of the body) are in
        // Held now: every slow client has its connection, and more than the app has slots.
        for (let i = 0; i < 2 * GATE.limit; i++) assert.equal((await node.ask('ok')).status, 200, 'the app still answers');
        // The cut comes from the node: the attackers would trickle forever.
        await waitFor(() => run.answered() >= SLOW_CLIENTS, 20 * REQUEST_TIMEOUT_MS);
      } finally {
        const answers = await run.stop();
        assert.deepEqual(Object.keys(answers.codes), ['http_408'], JSON.stringify(answers));
        assert.equal(answers.leftOpenByNode, 0);
      }
    });
  }
});

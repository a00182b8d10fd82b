// `flick dev`: the loop behind it rebuilds on save, swaps the new build in without failing a request
// or losing per-key state, and keeps the old build serving when the new source does not compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startDevLoop, type DevEvent } from '../../src/daemon/dev-loop.js';

const COUNTER = join(import.meta.dirname, '..', '..', 'examples', 'counter');

/** v1's source answering with one more field, and taking v1's saved count over in `flick_upgrade`. */
function counterV2(v1: string): string {
  const answer = '",\\"count\\":" + count.toString() + "}\\n"';
  assert.ok(v1.includes(answer), 'examples/counter answers as this test expects');
  return v1.replace(answer, '",\\"count\\":" + count.toString() + ",\\"v\\":2}\\n"') + `
export function flick_upgrade(): i32 {
  const old = state.load();
  if (old === null) return 0;
  if (old.byteLength != 4) return 1;
  count = load<i32>(old.dataStart);
  return 0;
}
`;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('flick dev: a save is built and swapped in with per-key state and no failed request; a broken save keeps the old build', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'flick-dev-test-'));
  const dir = join(root, 'counter');
  cpSync(COUNTER, dir, { recursive: true, filter: (src) => !src.startsWith(join(COUNTER, 'build')) });
  const events: DevEvent[] = [];
  const loop = await startDevLoop({ dir, port: 0, dataDir: join(root, 'data'), schedulers: 2, onEvent: (e) => events.push(e) });
  const agent = new Agent({ connections: 8 });
  const base = `http://127.0.0.1:${new URL(loop.url).port}/`;
  const ask = async (key: string): Promise<{ count: number; v?: number }> => {
    const res = await request(base, { headers: { host: new URL(loop.url).host, 'flick-key': key }, dispatcher: agent });
    const text = await res.body.text();
    assert.equal(res.statusCode, 200, text);
    return JSON.parse(text);
  };
  try {
    assert.equal(loop.url.replace(/:\d+\/$/, ''), 'http://counter.localhost');
    assert.equal(events[0]?.kind, 'deployed', 'the first build is deployed before startDevLoop returns');
    for (const n of [1, 2, 3]) assert.deepEqual(await ask('alice'), { key: 'alice', count: n });

    // A client hammering another key through the swap: every request answers, no count is lost.
    let hammering = true;
    const failures: string[] = [];
    const bob: Array<{ count: number; v?: number }> = [];
    const hammer = (async () => {
      while (hammering) {
        try {
          bob.push(await ask('bob'));
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    })();

    const source = join(dir, 'assembly', 'index.ts');
    const v1 = readFileSync(source, 'utf8');
    writeFileSync(source, counterV2(v1));
    let lastV1 = 3;
    const upgraded = await waitFor('the edited build to answer', async () => {
      const answer = await ask('alice');
      if (answer.v === 2) return answer;
      lastV1 = answer.count;
      return undefined;
    });
    assert.equal(upgraded.count, lastV1 + 1, 'the count carried over to the new build');
    await new Promise((r) => setTimeout(r, 200)); // a little traffic after the switch too
    hammering = false;
    await hammer;
    assert.deepEqual(failures, []);
    const firstV2 = bob.findIndex((a) => a.v === 2);
    assert.ok(firstV2 > 0, 'bob was answered by both builds');
    assert.ok(bob[firstV2].count > 1, 'bob\'s count carried over to the new build');
    await t.test('no increment served during the swap is lost', () => {
      assert.deepEqual(bob.map((a) => a.count), bob.map((_, i) => i + 1));
    });
    const deployed = events.filter((e): e is Extract<DevEvent, { kind: 'deployed' }> => e.kind === 'deployed');
    assert.equal(deployed.length, 2);
    assert.equal(deployed[1].deployment.phases.find((p) => p.name === 'upgrade')?.status, 'ok');

    // A save that does not compile: reported, and the previous build keeps answering.
    writeFileSync(source, counterV2(v1).replace('export function flick_handle(): void {', 'export function flick_handle(: void {'));
    const failed = await waitFor('the build error', () => events.find((e): e is Extract<DevEvent, { kind: 'build-failed' }> => e.kind === 'build-failed'));
    assert.ok(failed.problem.message.length > 0 && failed.problem.hint.length > 0);
    assert.deepEqual(await ask('alice'), { key: 'alice', count: upgraded.count + 1, v: 2 });
    assert.equal(events.filter((e) => e.kind === 'deployed').length, 2, 'nothing was deployed');
  } finally {
    await agent.close();
    await loop.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

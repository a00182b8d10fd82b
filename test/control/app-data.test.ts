// What apps write through the KV capability: namespaced per app, durable across node restarts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildImage } from '../../src/image/build.js';
import { startNode, type TestNode } from '../support/daemon.js';

const running: TestNode[] = [];
after(async () => {
  for (const n of running) await n.stop().catch(() => {});
});

test('KV data is per app, and survives a restart of the node', async () => {
  const kv = (await buildImage('examples/kv')).bytes;
  const first = await startNode();
  running.push(first);
  await first.deploy(kv, { app: 'left' });
  await first.deploy(kv, { app: 'right' });
  assert.equal((await first.ask('left', '/colour', { method: 'PUT', body: 'blue' })).status, 204);
  assert.equal((await first.ask('left', '/colour')).text, 'blue');
  assert.equal((await first.ask('right', '/colour')).status, 404, 'the same namespace name in another app is another namespace');
  assert.equal((await first.ask('right', '/colour', { method: 'PUT', body: 'red' })).status, 204);
  assert.equal((await first.ask('left', '/colour')).text, 'blue', 'and writing there changes nothing here');

  await first.stop({ keepData: true });
  running.pop();
  const second = await startNode({}, first.dataDir);
  running.push(second);
  assert.equal((await second.ask('left', '/colour')).text, 'blue', 'acknowledged writes survive the restart');
  assert.equal((await second.ask('right', '/colour')).text, 'red');
});

// Metrics, logs and traces of a real node: known traffic in, matching numbers out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImage } from '../../src/image/build.js';
import { parsePrometheus, sample } from './prometheus-text.js';
import { CHATTY_DIR, eventually, exampleImage, get, startNode, warmSchedulers, type TestNode } from './_node.js';

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_PARENT = 'b7ad6b7169203331';

describe('node telemetry', { timeout: 180_000 }, () => {
  let node: TestNode;
  let crashCode = '';

  before(async () => {
    const chatty = (await buildImage(CHATTY_DIR)).bytes;
    node = await startNode();
    await node.daemon.engine.deploy({ image: chatty });
    await warmSchedulers(node, 'chatty@1');
    await node.daemon.engine.deploy({ image: await exampleImage('hello') });
    for (let i = 0; i < 12; i++) assert.equal((await get(node, 'hello')).status, 200);
    for (let i = 0; i < 7; i++) assert.equal((await get(node, 'chatty', '/?lines=1', { 'flick-key': 'a' })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await get(node, 'chatty', '/?lines=2', { 'flick-key': 'b' })).status, 200);
    for (let i = 0; i < 2; i++) {
      const res = await get(node, 'chatty', '/crash', { 'flick-key': 'c' });
      assert.equal(res.status, 500);
      crashCode = res.headers.get('x-flick-error') ?? '';
    }
  });
  after(async () => node?.stop());

  test('/_flick/metrics counts exactly the requests, errors and deploys sent', async () => {
    const samples = await eventually(async () => {
      const s = parsePrometheus(await (await fetch(`${node.url}/_flick/metrics`)).text());
      return sample(s, 'flick_deployments_total', { kind: 'deploy', outcome: 'succeeded' }) === 2 ? s : undefined;
    }, 5000, 'both deploys in the metrics');
    assert.equal(sample(samples, 'flick_requests_total', { app: 'hello', release: 'hello@1' }), 12);
    assert.equal(sample(samples, 'flick_requests_total', { app: 'chatty', release: 'chatty@1' }), 12);
    assert.equal(sample(samples, 'flick_request_duration_seconds_count', { app: 'hello', release: 'hello@1' }), 12);
    assert.equal(sample(samples, 'flick_request_duration_seconds_bucket', { app: 'chatty', release: 'chatty@1', le: '+Inf' }), 12);
    assert.ok(crashCode, 'the crash answered with an error code');
    assert.equal(sample(samples, 'flick_request_errors_total', { app: 'chatty', release: 'chatty@1', code: crashCode }), 2);
    assert.equal(sample(samples, 'flick_request_errors_total', { app: 'hello' }), undefined);
    // hello is per-request: 12 spawns; chatty is per-key: keys a, b, c.
    assert.equal(sample(samples, 'flick_spawns_total'), 12 + 3);
    assert.equal(sample(samples, 'flick_instance_requests', { app: 'chatty', instance: instanceOf(node, 'a') }), 7);
    assert.equal(sample(samples, 'flick_instance_requests', { app: 'chatty', instance: instanceOf(node, 'b') }), 3);
    assert.equal(sample(samples, 'flick_instance_restarts', { app: 'chatty', instance: instanceOf(node, 'c') }), 2);
    assert.equal(sample(samples, 'flick_restarts_total'), 2);
    assert.ok((sample(samples, 'flick_instance_memory_bytes', { instance: instanceOf(node, 'a') }) ?? 0) > 0);
    assert.ok((sample(samples, 'flick_instance_cpu_fuel', { instance: instanceOf(node, 'a') }) ?? 0) > 0);
    assert.equal(sample(samples, 'flick_instances', { app: 'chatty', state: 'running' }), 3);
    for (const phase of ['copy', 'start', 'switch']) assert.equal(sample(samples, 'flick_deploy_phases_total', { phase, outcome: 'ok' }), 2, phase);
    assert.equal(sample(samples, 'flick_deploy_phase_duration_seconds_count', { phase: 'switch' }), 2);
    const busy = (sample(samples, 'flick_scheduler_busy_seconds_total', { scheduler: '0' }) ?? 0) + (sample(samples, 'flick_scheduler_busy_seconds_total', { scheduler: '1' }) ?? 0);
    assert.ok(busy > 0, 'scheduler load is counted');
    assert.equal(sample(samples, 'flick_scheduler_outstanding_calls', { scheduler: '0' }), 0);
  });

  test('a W3C traceparent is continued, passed to the instance and returned; spans reach the instance', async () => {
    const res = await get(node, 'chatty', '/', { 'flick-key': 'a', traceparent: `00-${CALLER_TRACE}-${CALLER_PARENT}-01` });
    const back = res.headers.get('traceparent') ?? '';
    assert.match(back, new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-01$`));
    const { spans } = (await (await fetch(`${node.url}/_flick/api/traces/${CALLER_TRACE}`)).json()) as { spans: Array<{ name: string; spanId: string; parentSpanId: string | null; startMs: number; endMs: number; attributes: Record<string, unknown> }> };
    const ingress = spans.find((s) => s.name === 'ingress chatty')!;
    assert.equal(ingress.parentSpanId, CALLER_PARENT);
    assert.equal(back.split('-')[2], ingress.spanId);
    const dispatch = spans.find((s) => s.name === 'node.dispatch')!;
    assert.equal(dispatch.parentSpanId, ingress.spanId);
    const instance = spans.find((s) => s.name.startsWith('instance '))!;
    assert.equal(instance.parentSpanId, dispatch.spanId);
    assert.equal(instance.attributes['flick.instance'], instanceOf(node, 'a'));
    for (const s of spans) assert.ok(s.endMs >= s.startMs && s.startMs >= ingress.startMs - 0.001 && s.endMs <= ingress.endMs + 0.001, `${s.name} lies inside the ingress span`);

    const fresh = await get(node, 'hello');
    assert.match(fresh.headers.get('traceparent') ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'a trace is started when the caller sent none');
    const recent = (await (await fetch(`${node.url}/_flick/api/traces?app=hello&limit=1`)).json()) as Array<{ traceId: string }>;
    assert.equal(recent[0].traceId, fresh.headers.get('traceparent')!.split('-')[1]);
  });

  test('instance log lines are kept per app and followed live as NDJSON', async () => {
    const lines = await readNdjson(`${node.url}/_flick/api/logs?app=chatty&tail=1000`);
    // 7 requests × 1 line + 3 × 2 lines, the traced request above: 1; the warm-up calls log none.
    assert.equal(lines.filter((l) => String(l.message).startsWith('line ')).length, 7 + 6 + 1);
    assert.equal(lines.filter((l) => l.level === 'error' && l.message === 'about to crash').length, 2);
    assert.ok(lines.every((l) => l.app === 'chatty' && l.release === 'chatty@1'));
    assert.deepEqual(lines.map((l) => l.seq), lines.map((l) => l.seq).sort((a, b) => Number(a) - Number(b)), 'oldest first');

    const controller = new AbortController();
    const giveUp = setTimeout(() => controller.abort(), 10_000);
    const res = await fetch(`${node.url}/_flick/api/logs?app=chatty&tail=0&follow=1`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await get(node, 'chatty', '/?lines=1&size=5', { 'flick-key': 'followed' });
    let text = '';
    const until = Date.now() + 5000;
    while (!text.includes('xxxxx') && Date.now() < until) text += new TextDecoder().decode((await reader.read()).value);
    clearTimeout(giveUp);
    controller.abort();
    const followed = JSON.parse(text.trim().split('\n')[0]) as { message: string };
    assert.match(followed.message, /^line 0 of request 1 xxxxx$/);

    const missing = await fetch(`${node.url}/_flick/api/logs?app=nope`);
    assert.equal(missing.status, 404);
  });

  test('a chatty app cannot grow the log buffer past its bounds', async () => {
    const logs = node.daemon.telemetry.logs;
    const long = await get(node, 'chatty', '/?lines=1&size=6000', { 'flick-key': 'loud' });
    assert.equal(long.status, 200);
    assert.match(logs.read({ app: 'chatty', tail: 1 })[0].message, /^line 0 of request \d+ x{4000,}… \[\d+ more characters cut\]$/);
    // 40 requests × 40 lines from one instance: its source keeps only its newest 1000.
    for (let i = 0; i < 40; i++) assert.equal((await get(node, 'chatty', '/?lines=40', { 'flick-key': 'loud' })).status, 200);
    const newest = logs.read({ app: 'chatty', tail: 1 })[0];
    assert.match(newest.message, /^line 39 of request \d+ $/);
    const source = logs.read({ app: 'chatty', instance: newest.instance ?? newest.release });
    assert.equal(source.length, 1000);
    assert.ok(logs.dropped >= 600);
  });
});

function instanceOf(node: TestNode, key: string): string {
  const rec = [...node.daemon.node.table.all()].find((r) => r.app === 'chatty' && r.key === key);
  assert.ok(rec, `chatty has an instance for key ${key}`);
  return rec.id;
}

async function readNdjson(url: string): Promise<Array<Record<string, unknown>>> {
  const text = await (await fetch(url)).text();
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

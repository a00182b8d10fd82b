// Traces leave over OTLP/HTTP JSON to a collector: here a tiny receiver started by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseTraceParent, formatTraceParent } from '../../src/telemetry/trace-context.js';
import { tracesUrl } from '../../src/telemetry/otlp.js';
import { eventually, exampleImage, get, startNode, warmSchedulers } from './_node.js';

interface Received {
  path: string;
  body: { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ traceId: string; name: string; parentSpanId?: string; startTimeUnixNano: string; endTimeUnixNano: string }> }> }> };
}

test('spans of a request reach an OTLP/HTTP receiver', { timeout: 120_000 }, async () => {
  const received: Received[] = [];
  const receiver = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      assert.equal(req.headers['content-type'], 'application/json');
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const node = await startNode({ otlpEndpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}` });
  try {
    await node.daemon.engine.deploy({ image: await exampleImage('counter') });
    await warmSchedulers(node, 'counter@1');
    const res = await get(node, 'counter', '/', { 'flick-key': 'traced' });
    const traceId = parseTraceParent(res.headers.get('traceparent') ?? undefined)!.traceId;
    const spans = await eventually(() => {
      const all = received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
      const mine = all.filter((s) => s.traceId === traceId);
      return mine.length >= 4 ? mine : undefined;
    }, 10_000, 'the request\'s spans at the receiver');
    assert.equal(received[0].path, '/v1/traces');
    assert.equal(received[0].body.resourceSpans[0].resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue, 'flick');
    assert.deepEqual(spans.map((s) => s.name).sort(), ['ingress counter', 'instance counter-1', 'node.dispatch', 'scheduler 0 queue'].sort());
    const ingress = spans.find((s) => s.name === 'ingress counter')!;
    assert.equal(ingress.parentSpanId, undefined, 'flick started this trace');
    for (const s of spans) assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano));
    assert.ok(Math.abs(Number(BigInt(ingress.startTimeUnixNano) / 1_000_000n) - Date.now()) < 60_000, 'times are wall-clock nanoseconds');
  } finally {
    await node.stop();
    await new Promise((r) => receiver.close(r));
  }
});

test('traceparent parsing follows W3C Trace Context', () => {
  assert.deepEqual(parseTraceParent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), { traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331', sampled: true });
  assert.equal(parseTraceParent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00')?.sampled, false);
  for (const bad of ['', 'garbage', '00-00000000000000000000000000000000-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01']) {
    assert.equal(parseTraceParent(bad), null, bad);
  }
  assert.equal(formatTraceParent('a'.repeat(32), 'b'.repeat(16), true), `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
  assert.equal(tracesUrl('http://c:4318/'), 'http://c:4318/v1/traces');
  assert.equal(tracesUrl('http://c:4318/v1/traces'), 'http://c:4318/v1/traces');
});

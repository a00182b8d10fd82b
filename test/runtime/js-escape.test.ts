/**
 * Hostile apps against the JS sandbox: known routes out of a V8 isolate (constructor chains,
 * global lookups, module loading, prototype pollution of data crossing the boundary, host
 * references and errors that cross it, pooled host buffers) and capabilities the manifest does
 * not grant. Every route must come back empty, and the host realm must be untouched after.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxError } from '../../src/runtime/errors.js';
import { outboundDenial } from '../../src/runtime/js/outbound.js';
import { PRELUDE_GLOBALS } from '../../src/runtime/js/prelude/index.js';
import { loadFixture, MemoryKv, request, ScriptedOutbound, text, type LogLine } from '../fixtures/js/harness.js';

/** What a bare V8 context (isolated-vm's) defines: ECMAScript, Intl, WebAssembly, nothing of Node. */
const ECMASCRIPT_GLOBALS = [
  'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined', 'Boolean', 'String',
  'Symbol', 'Date', 'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError',
  'SyntaxError', 'TypeError', 'URIError', 'globalThis', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'Uint8Array', 'Int8Array',
  'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray',
  'BigUint64Array', 'BigInt64Array', 'DataView', 'Map', 'BigInt', 'Set', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect',
  'FinalizationRegistry', 'WeakRef', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape',
  'unescape', 'eval', 'isFinite', 'isNaN', 'SharedArrayBuffer', 'Atomics', 'WebAssembly',
];

describe('JS sandbox escapes', () => {
  it('reaches nothing of the host through constructors, globals, imports, host errors or pooled buffers', async () => {
    const logs: LogLine[] = [];
    const app = await loadFixture('escape', { kv: ['notes'] }, { kv: new Map([['notes', new MemoryKv()]]), log: (level, message) => logs.push([level, message]) });
    // The request body is a view into a pooled Buffer holding another tenant's data.
    const pool = Buffer.from('xxxxxxxxSECRETxxxxxxxxxxxxxxxxxxxx{"a":1}');
    const incoming = request('/', { method: 'POST', body: pool.subarray(34) });
    const asJson = () => JSON.stringify({ ...incoming, body: [...incoming.body] });
    const requestBefore = asJson();
    const response = await app.spawn().handle(incoming);
    const report = JSON.parse(text(response));

    assert.equal(report.constructorChain, 'threw ReferenceError');
    for (const route of ['functionThisProcess', 'globalProcess', 'evalProcess', 'consoleCtor', 'kvCtor', 'fetchCtor', 'errorCtor']) {
      assert.equal(report[route], 'undefined', route);
    }
    assert.equal(report.requireType, 'undefined');
    assert.equal(report.moduleType, 'undefined');
    assert.equal(report.bootLeft, 'undefined');
    assert.equal(report.ivmLeft, 'undefined undefined');
    assert.equal(report.dynamicImport, 'rejected Error');
    assert.equal(report.dynamicImportNode, 'rejected Error');
    assert.deepEqual([...report.globals].sort(), [...ECMASCRIPT_GLOBALS, ...PRELUDE_GLOBALS].sort());

    // Errors thrown by host callbacks arrive as guest errors with no host stack or paths.
    assert.equal(report.hostErrorIsGuestError, true);
    assert.match(report.hostErrorMessage, /KV get failed in the store/);
    assert.doesNotMatch(report.stacks, /\/work\/|node:internal|\.ts:|harness/);
    assert.ok(logs.some(([level, line]) => level === 'error' && line.includes('backend failure')), 'the store failure is in the app log');
    for (const frame of report.frames as string[]) assert.match(frame, /^(file:\/\/\/app\.js|flick:prelude|undefined|null)\|/);

    // Host bytes arrive in buffers of their own size: nothing else from the pool came along.
    assert.ok(!report.seenBuffers.includes(-1), `a guest saw pooled host memory: ${report.seenBuffers}`);

    // Guest prototype pollution stays in the guest realm; what came back is plain host data.
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(report), Object.prototype);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'then'), false);
    assert.deepEqual(response.headers.slice(0, 2), [['__proto__', 'x'], ['constructor', 'y']]);
    assert.equal(Object.getPrototypeOf(response.headers), Array.prototype);
    assert.equal(asJson(), requestBefore, 'the request object handed in was changed');
  });

  it('hands out only the KV namespaces the manifest grants', async () => {
    const notes = new MemoryKv();
    const secret = new MemoryKv();
    secret.put(new TextEncoder().encode('k'), new TextEncoder().encode('top secret'));
    // The node offers both namespaces; the manifest grants only "notes".
    const app = await loadFixture('capabilities', { kv: ['notes'] }, { kv: new Map([['notes', notes], ['secret', secret]]) });
    const report = JSON.parse(text(await app.spawn().handle(request('/kv'))));
    assert.deepEqual(report.namespaces, ['notes']);
    assert.equal(report.granted, 'ok: "v"');
    assert.match(report.ungranted, /^error: /);
    assert.doesNotMatch(report.ungranted, /top secret/);
    assert.equal(new TextDecoder().decode(notes.get(new TextEncoder().encode('k'))), 'v');
  });

  it('fetches only from declared outbound hosts', async () => {
    const outbound = new ScriptedOutbound();
    const app = await loadFixture('capabilities', { outbound: ['api.example.com'] }, { outbound: outbound.fetch });
    const instance = app.spawn();
    assert.equal(text(await instance.handle(request('/fetch-allowed'))), '200 echo POST ping yes');
    assert.equal(outbound.requests.length, 1);
    assert.equal(outbound.requests[0].url, 'https://api.example.com/data?x=1');
    assert.ok(outbound.requests[0].headers.some(([name, value]) => name === 'x-test' && value === '1'));

    const report = JSON.parse(text(await instance.handle(request('/fetch-denied'))));
    assert.match(report.otherHost, /^error: fetch: evil\.example\.net is not an outbound host this app may reach \(add "evil\.example\.net" to capabilities\.outbound/);
    assert.match(report.otherPort, /api\.example\.com:8443 is not an outbound host/);
    assert.match(report.file, /file: scheme is not allowed/);
    assert.match(report.metadata, /169\.254\.169\.254 is not an outbound host/);
    assert.equal(outbound.requests.length, 1, 'a denied request reached the transport');

    // Uncaught, a refusal ends the call as capability_denied; the instance keeps serving.
    await assert.rejects(instance.handle(request('/fetch-denied-uncaught')), (e: unknown) => e instanceof SandboxError && e.code === 'capability_denied' && /capabilities\.outbound/.test(e.hint));
    assert.equal(instance.state, 'ready');
    assert.equal(text(await instance.handle(request('/fetch-allowed'))), '200 echo POST ping yes');
  });

  it('aborts an outbound fetch still pending at the deadline', async () => {
    const outbound = new ScriptedOutbound();
    const app = await loadFixture('capabilities', { outbound: ['api.example.com'], deadlineMs: 100 }, { outbound: outbound.fetch });
    await assert.rejects(app.spawn().handle(request('/fetch-hangs')), (e: unknown) => e instanceof SandboxError && e.code === 'deadline_exceeded');
  });

  it('matches outbound hosts by name and port exactly', () => {
    const allowed = ['api.example.com', 'local.test:8080'];
    assert.equal(outboundDenial('https://api.example.com/x', allowed), null);
    assert.equal(outboundDenial('http://api.example.com/x', allowed), null);
    assert.equal(outboundDenial('http://local.test:8080/', allowed), null);
    for (const url of ['https://api.example.com:444/', 'https://sub.api.example.com/', 'https://api.example.com.evil.net/', 'http://local.test/', 'ftp://api.example.com/', 'http://user@evil.net/', 'not a url']) {
      assert.equal(outboundDenial(url, allowed)?.code, 'capability_denied', url);
    }
  });
});

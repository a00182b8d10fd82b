/**
 * A scheduler thread: hosts many instances of many releases and serves the calls the node sends.
 * Wasm work here is synchronous per message, so calls into one instance are serialised for free,
 * and replies produced while handling one batch go back as one batch. JS work settles later: the
 * JS host (js-host.ts) queues it per instance and its replies leave as they settle.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SandboxError } from '../../runtime/errors.js';
import { WasmApp } from '../../runtime/wasm/app.js';
import type { WasmInstance, WasmSnapshot } from '../../runtime/wasm/instance.js';
import type { JsSnapshot } from '../../runtime/js/instance.js';
import { memoryFileSource } from '../../runtime/wasm/wasi/files.js';
import type { KvNamespace } from '../../runtime/request.js';
import { AppKvStore } from '../app-kv.js';
import { JournaledNamespace, KvJournal } from '../kv-journal.js';
import { JsHost, NoJsInstance } from './js-host.js';
import type { CallMessaging } from '../../runtime/messaging.js';
import { monotonicUs, snapshotBuffers, type CallInstance, type DeliverMessage, type FromScheduler, type InstanceCounters, type LoadApp, type LogLine, type Reply, type ToScheduler, type WireError } from './protocol.js';

const port = parentPort!;
const schedulerIndex = (workerData as { index: number }).index;
const apps = new Map<string, WasmApp>();
const instances = new Map<string, WasmInstance>();
let outbox: FromScheduler[] = [];
/** Snapshot buffers leave by transfer, not copy: a 1 MiB instance would otherwise be copied on every move. */
let transfer: ArrayBuffer[] = [];
const kvStores = new Map<string, AppKvStore>();
/**
 * Instances whose restore here failed (a move's arrival end): the node sends their calls right
 * behind the restore, without waiting for its reply, so until it drops the id they are refused
 * here — never answered by a fresh instance, which would lose the state the move carried.
 */
const notArrived = new Set<string>();
const js = new JsHost((release, instance) => logFor(release, instance));
/** KV writes of cluster releases, journaled until the node has made them durable (kv-journal.ts). */
const journal = new KvJournal();
let flushScheduled = false;
/**
 * Monitor refs handed to guests: unique within this thread (the scheduler's number in the top bits,
 * a counter below), so an instance that moves between schedulers never gets a ref it already holds.
 */
let refCounter = 0;
const refBase = ((schedulerIndex % 127) + 1) << 24;

function callMessaging(self: string | null): CallMessaging {
  return { self, delivered: null, effects: [], effectBytes: 0, nextRef: () => refBase | (++refCounter & 0xffffff) };
}

port.on('message', (batch: ToScheduler[]) => {
  for (const m of batch) handle(m);
  flush();
});

function flush(): void {
  const out = outbox;
  const moved = transfer;
  outbox = [];
  transfer = [];
  if (out.length) port.postMessage(out, moved);
}

/** Posts a JS reply that settled after its batch went: with whatever else settles in the same turn. */
function flushSoon(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    flush();
  });
}

type ReplyBody = Omit<Reply, 't' | 'id' | 'busyUs'>;

/** Replies to message `id` once a JS operation settles; errors map to the wire as wasm ones do. */
function replyWhenSettled(id: number, t0: number, op: () => ReplyBody | Promise<ReplyBody>): void {
  Promise.resolve()
    .then(op)
    .catch((e: unknown): ReplyBody => ({ error: toWire(e, null) }))
    .then((body) => {
      outbox.push({ t: 'reply', id, busyUs: Math.round((performance.now() - t0) * 1000), kvWrites: journal.take(), ...body });
      flushSoon();
    });
}

function handle(m: ToScheduler): void {
  const t0 = performance.now();
  const reply = (r: Omit<Reply, 't' | 'busyUs'>) => outbox.push({ t: 'reply', busyUs: Math.round((performance.now() - t0) * 1000), kvWrites: journal.take(), ...r });
  if ((m.t === 'call' || m.t === 'deliver' || m.t === 'spawn') && m.instance !== null && notArrived.has(m.instance)) {
    if (!('restore' in m) || !m.restore) return void reply({ id: m.id, error: didNotArrive(m.instance) });
    notArrived.delete(m.instance);
  }
  switch (m.t) {
    case 'kv-settled':
      journal.settled(m.upTo);
      return;
    case 'load':
      try {
        load(m);
        if (m.id !== undefined) reply({ id: m.id });
      } catch (e) {
        if (m.id !== undefined) reply({ id: m.id, error: toWire(e, null) });
        else logFor(m.release, null)('error', `release ${m.release} did not load on a replacement scheduler: ${(e as Error).message}`);
      }
      return;
    case 'unload':
      if (js.unload(m.release)) return;
      apps.get(m.release)?.close();
      apps.delete(m.release);
      return;
    case 'call':
      if (js.servesRelease(m.release)) return replyWhenSettled(m.id, t0, () => js.call(m.release, m.instance, m.request, m.restore as JsSnapshot | undefined));
      {
        const messaging = m.messaging ? callMessaging(m.messaging.self) : null;
        try {
          const { response, counters } = call(m, messaging);
          reply({ id: m.id, response, counters, effects: messaging?.effects });
        } catch (e) {
          reply({ id: m.id, error: toWire(e, m.instance), effects: messaging?.effects });
        }
      }
      return;
    case 'spawn': {
      if (js.servesRelease(m.release)) return replyWhenSettled(m.id, t0, () => ({ counters: js.spawn(m.release, m.instance) }));
      const messaging = m.messaging ? callMessaging(m.messaging.self) : null;
      try {
        const inst = held(m, messaging);
        reply({ id: m.id, counters: inst.stats(), effects: messaging?.effects });
      } catch (e) {
        reply({ id: m.id, error: toWire(e, m.instance), effects: messaging?.effects });
      }
      return;
    }
    case 'deliver': {
      const messaging = callMessaging(m.self);
      let inst: WasmInstance | undefined;
      try {
        inst = held(m, messaging);
        inst.deliver(m.message, messaging);
        reply({ id: m.id, counters: inst.stats(), effects: messaging.effects });
      } catch (e) {
        reply({ id: m.id, error: toWire(e, m.instance), effects: messaging.effects });
      } finally {
        if (inst?.state === 'dead') instances.delete(m.instance);
      }
      return;
    }
    case 'snapshot': {
      if (js.holds(m.instance)) return replyWhenSettled(m.id, t0, () => js.snapshot(m.instance, m.drop));
      const inst = instances.get(m.instance);
      if (!inst) return void reply({ id: m.id, error: noInstance(m.instance) });
      try {
        const startedAtUs = monotonicUs();
        const snapshot = inst.snapshot(m.shared);
        if (m.drop) drop(m.instance);
        transfer.push(...snapshotBuffers(snapshot));
        reply({ id: m.id, snapshot, counters: inst.stats(), startedAtUs, doneAtUs: monotonicUs() });
      } catch (e) {
        reply({ id: m.id, error: toWire(e, m.instance) });
      }
      return;
    }
    case 'restore': {
      // The snapshot came by transfer: it goes back the same way, for the node to keep. Done here,
      // not when a JS operation settles: the calls the node sent right behind it must find it.
      transfer.push(...snapshotBuffers(m.snapshot));
      notArrived.delete(m.instance);
      const startedAtUs = monotonicUs();
      try {
        const counters = js.servesRelease(m.release) ? js.restore(m.release, m.instance, m.snapshot as JsSnapshot) : restoreWasm(m.release, m.instance, m.snapshot as WasmSnapshot);
        reply({ id: m.id, counters, snapshot: m.snapshot, startedAtUs, doneAtUs: monotonicUs() });
      } catch (e) {
        notArrived.add(m.instance);
        reply({ id: m.id, error: toWire(e, m.instance), snapshot: m.snapshot });
      }
      return;
    }
    case 'save-state': {
      if (js.servesRelease(m.release)) return replyWhenSettled(m.id, t0, async () => ({ state: await js.saveState(m.release, m.instance, m.restore as JsSnapshot | undefined) }));
      const held = instances.get(m.instance);
      if (!held && !m.restore) return void reply({ id: m.id, error: noInstance(m.instance) });
      let woken: WasmInstance | undefined;
      try {
        woken = held ? undefined : appFor(m.release).restore(m.restore! as WasmSnapshot, logFor(m.release, m.instance));
        reply({ id: m.id, state: (held ?? woken)!.saveState() });
      } catch (e) {
        reply({ id: m.id, error: toWire(e, held ? m.instance : null) });
      } finally {
        woken?.dispose();
        if (held?.state === 'dead') instances.delete(m.instance);
      }
      return;
    }
    case 'upgrade': {
      if (js.servesRelease(m.release)) return replyWhenSettled(m.id, t0, () => ({ counters: js.upgrade(m.release, m.instance, m.state) }));
      try {
        const inst = appFor(m.release).upgrade(m.state, m.fromVersion, logFor(m.release, m.instance));
        instances.set(m.instance, inst);
        reply({ id: m.id, counters: inst.stats() });
      } catch (e) {
        reply({ id: m.id, error: toWire(e, null) });
      }
      return;
    }
    case 'drop':
      notArrived.delete(m.instance);
      if (js.holds(m.instance)) js.drop(m.instance);
      else drop(m.instance);
      return;
    case 'ping':
      reply({ id: m.id, counters: { calls: instances.size + js.size, cpuUsed: 0, memoryBytes: process.memoryUsage().rss } });
      return;
    case 'shutdown':
      js.closeAll();
      for (const inst of instances.values()) inst.dispose();
      instances.clear();
      for (const app of apps.values()) app.close();
      apps.clear();
      reply({ id: m.id });
      return;
  }
}

/** Where one instance's log lines go: to the node, tagged with release and instance. */
function logFor(release: string, instance: string | null): (level: LogLine['level'], message: string) => void {
  return (level, message) => outbox.push({ t: 'log', release, instance, level, message });
}

function load(m: LoadApp): void {
  const kv = kvFor(m);
  const log = logFor(m.release, null);
  if (m.code.runtime === 'js') js.load(m.release, m.manifest, m.code.bundle, { kv, log });
  else apps.set(m.release, new WasmApp(m.manifest, m.code.prepared, { files: memoryFileSource(new Map(m.files)), kv, log }));
}

function kvFor(m: LoadApp): Map<string, KvNamespace> {
  if (!m.kvPath) return new Map();
  let store = kvStores.get(m.kvPath);
  if (!store) kvStores.set(m.kvPath, (store = new AppKvStore(m.kvPath)));
  const namespaces = store.namespaces(m.manifest.name, m.manifest.capabilities.kv);
  if (!m.kvReplicated) return namespaces;
  return new Map([...namespaces].map(([ns, committed]) => [ns, new JournaledNamespace(committed, journal, m.manifest.name, ns)]));
}

function call(m: CallInstance, messaging: CallMessaging | null): { response: Reply['response']; counters: InstanceCounters } {
  if (m.instance === null) {
    const fresh = appFor(m.release).spawn(undefined, messaging);
    const response = fresh.call(m.request, messaging);
    fresh.dispose();
    return { response, counters: fresh.stats() };
  }
  const inst = held(m as CallInstance & { instance: string }, messaging);
  try {
    const response = inst.call(m.request, messaging);
    return { response, counters: inst.stats() };
  } finally {
    if (inst.state === 'dead') instances.delete(m.instance);
  }
}

/** The instance a call or delivery goes to: held here, else restored from `restore`, else spawned. */
function held(m: { release: string; instance: string; restore?: CallInstance['restore'] }, messaging: CallMessaging | null): WasmInstance {
  let inst = instances.get(m.instance);
  if (!inst) {
    const app = appFor(m.release);
    const log = logFor(m.release, m.instance);
    inst = m.restore ? app.restore(m.restore as WasmSnapshot, log) : app.spawn(log, messaging);
    instances.set(m.instance, inst);
  }
  return inst;
}

function restoreWasm(release: string, instance: string, snapshot: WasmSnapshot): InstanceCounters {
  const inst = appFor(release).restore(snapshot, logFor(release, instance));
  instances.set(instance, inst);
  return inst.stats();
}

function drop(instance: string): void {
  instances.get(instance)?.dispose();
  instances.delete(instance);
}

function appFor(release: string): WasmApp {
  const app = apps.get(release);
  if (!app) throw Object.assign(new Error(`scheduler ${schedulerIndex} has not loaded release ${release}`), { wire: 'no_such_release' as const });
  return app;
}

function didNotArrive(instance: string): WireError {
  return { code: 'no_such_instance', message: `instance ${instance} did not arrive on scheduler ${schedulerIndex}: its move failed`, hint: 'retry the request: the instance goes back to the scheduler it came from', httpStatus: 503, fatal: false };
}

function noInstance(instance: string): WireError {
  return { code: 'no_such_instance', message: `scheduler ${schedulerIndex} holds no instance ${instance}`, hint: 'it may have hibernated, moved or ended: list instances with flick ps', httpStatus: 503, fatal: true };
}

function toWire(e: unknown, instance: string | null): WireError {
  if (e instanceof NoJsInstance) return noInstance(e.instance);
  if (e instanceof SandboxError) {
    return { code: e.code, message: e.message, hint: e.hint, httpStatus: e.httpStatus, fatal: e.fatal };
  }
  const wire = (e as { wire?: 'no_such_release' }).wire;
  if (wire) return { code: wire, message: (e as Error).message, hint: 'the node loads a release on every scheduler before routing to it; this is a bug', httpStatus: 503, fatal: false };
  if (instance) instances.delete(instance);
  return { code: 'trap', message: `scheduler error: ${(e as Error)?.message ?? String(e)}`, hint: 'this is a bug in flick: please report it with the node logs', httpStatus: 500, fatal: true };
}

port.postMessage([{ t: 'ready' }] satisfies FromScheduler[]);

// Cluster members in this process against a real etcd (test/support/etcd.ts), each a full Daemon on
// a loopback port with its own data directory, and a per-key counter app to route.
import { before, after } from 'node:test';
import { startNode, type TestNode } from './daemon.js';
import { startEtcd, type EtcdServer } from './etcd.js';
import { waitFor } from './wait.js';
import { counterWat, watImage } from './wat-apps.js';
import { ownerOf } from '../../src/cluster/rendezvous.js';

export function startMember(etcd: EtcdServer, name: string): Promise<TestNode> {
  return startNode({ schedulers: 1, cluster: { etcd: [etcd.endpoint], nodeName: name } });
}

/** A per-key app answering `<app>:<n>`, n counting this key's requests (state in the instance's memory). */
export function perKeyCounter(app: string): Uint8Array {
  return watImage(counterWat(app), { name: app, instances: { mode: 'per-key', key: { from: 'header', name: 'x-key' } } });
}

/** The node that owns `key` of `app` over `nodes`, as every member computes it. */
export function ownerAmong(app: string, key: string, nodes: string[]): string {
  return ownerOf(`${app}/${key}`, nodes)!;
}

/** The member holding `key` of `app` now, by the members' instance tables. */
export async function holderOf(members: Map<string, TestNode>, app: string, key: string): Promise<string[]> {
  const out: string[] = [];
  for (const [name, m] of members) {
    const list = (await m.api('GET', '/instances')).json as Array<{ app: string; key: string }>;
    if (list.some((i) => i.app === app && i.key === key)) out.push(name);
  }
  return out;
}

/**
 * One real etcd for a test file and in-process members on it: registers the file's before/after
 * hooks, so every member started is stopped (and its directory removed) whatever happens.
 */
export function etcdCluster(): { member(name: string): Promise<TestNode>; stop(n: TestNode): Promise<void>; readonly etcd: EtcdServer } {
  let etcd: EtcdServer | undefined;
  const started: TestNode[] = [];
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    for (const n of started.reverse()) await n.stop().catch(() => {});
    await etcd?.stop();
  });
  return {
    get etcd() {
      return etcd!;
    },
    async member(name) {
      const n = await startMember(etcd!, name);
      started.push(n);
      return n;
    },
    async stop(n) {
      started.splice(started.indexOf(n), 1);
      await n.stop();
    },
  };
}

/** Waits until every member sees `count` live members. */
export function allSee(members: TestNode[], count: number): Promise<void> {
  return waitFor(() => members.every((m) => m.daemon.dataPath!.directory.live.length === count), 10_000);
}

/** The id of the instance of `key` of `app` on `node`. */
export async function instanceIdOf(node: TestNode, app: string, key: string): Promise<string> {
  const list = (await node.api('GET', '/instances')).json as Array<{ id: string; app: string; key: string }>;
  const found = list.find((i) => i.app === app && i.key === key);
  if (!found) throw new Error(`no instance of ${app} for key ${key} on that node`);
  return found.id;
}

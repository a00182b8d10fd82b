/**
 * Host checks behind `flick doctor`: each looks at one fact of the machine and, when it is a
 * problem, says what it costs and the command that fixes it.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { maxMapCount, RECOMMENDED_MAX_MAP_COUNT } from './v8-flags.js';
import { CONNECTION_TARGET, holderCapacity, holdersFor, MAIN_FILE_RESERVE, processFileLimit } from '../ingress/ws-holder/sizing.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** A command or step that fixes it, when status is not ok. */
  fix?: string;
}

export interface HostCheckOptions {
  port: number;
  dataDir: string;
  etcd?: string;
}

const MIN_NODE = [20, 11];

export function checkNode(version = process.versions.node): CheckResult {
  const [major, minor] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { name: 'node', status: 'ok', detail: `Node.js ${version}` }
    : { name: 'node', status: 'fail', detail: `Node.js ${version} is older than ${MIN_NODE.join('.')}`, fix: 'install Node.js 20.11 or newer (e.g. from your distribution or nodejs.org)' };
}

export function checkMapCount(count = maxMapCount()): CheckResult {
  if (count === null) return { name: 'vm.max_map_count', status: 'warn', detail: 'cannot read /proc/sys/vm/max_map_count (not Linux?): instance density is untested here' };
  const instances = Math.floor(count * 0.9);
  if (count >= RECOMMENDED_MAX_MAP_COUNT) return { name: 'vm.max_map_count', status: 'ok', detail: `${count}: room for ~${instances.toLocaleString('en')} live wasm instances per process` };
  return {
    name: 'vm.max_map_count',
    status: 'warn',
    detail: `${count}: each live wasm instance's memory is one mapping, so a node holds at most ~${instances.toLocaleString('en')} instances`,
    fix: `sudo sysctl -w vm.max_map_count=${RECOMMENDED_MAX_MAP_COUNT} && echo vm.max_map_count=${RECOMMENDED_MAX_MAP_COUNT} | sudo tee /etc/sysctl.d/90-flick.conf`,
  };
}

/**
 * Open files are limited per process and every connection is one. Past the node process's limit,
 * `flick up` holds WebSockets in holder processes (src/ingress/ws-holder/), each under its own limit.
 */
export function checkOpenFiles(limit = processFileLimit()): CheckResult {
  if (limit === null) return { name: 'open files', status: 'warn', detail: 'cannot read the open-file limit (/proc/self/limits): connection capacity is untested here' };
  const holders = holdersFor(limit);
  const perProcess = `${limit.toLocaleString('en')} per process`;
  if (holders === 0) return { name: 'open files', status: 'ok', detail: `${perProcess}: the node holds ~${(limit - MAIN_FILE_RESERVE).toLocaleString('en')} connections in its own process` };
  const room = holders * holderCapacity(limit);
  const detail = `${perProcess}: flick up holds WebSockets in ${holders} holder processes (--ws-holders), room for ~${room.toLocaleString('en')}; plain HTTP connections stay within the node process's ${limit.toLocaleString('en')}`;
  if (room >= CONNECTION_TARGET) return { name: 'open files', status: 'ok', detail };
  return { name: 'open files', status: 'warn', detail, fix: 'raise the hard limit: ulimit -Hn 1048576 as root in the shell that starts flick (or LimitNOFILE=1048576 in its systemd unit), or pass --ws-holders N' };
}

export async function checkPort(port: number): Promise<CheckResult> {
  const free = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (free) return { name: 'port', status: 'ok', detail: `${port} is free on 127.0.0.1` };
  if (await answersAsFlick(port)) return { name: 'port', status: 'ok', detail: `a flick node is already listening on ${port}` };
  return { name: 'port', status: 'fail', detail: `${port} is already in use on 127.0.0.1`, fix: `start flick on another port (flick up --port ${port + 1}) or stop what listens there (ss -ltnp 'sport = :${port}')` };
}

async function answersAsFlick(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/_flick/api/status`, { signal: AbortSignal.timeout(1000) });
    return res.ok && typeof ((await res.json()) as { schedulers?: unknown }).schedulers === 'object';
  } catch {
    return false;
  }
}

export function checkDataDir(dir: string): CheckResult {
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.R_OK);
    const mode = statSync(dir).mode & 0o777;
    if (mode & 0o077) {
      return { name: 'data directory', status: 'warn', detail: `${dir} is readable by other users (mode ${mode.toString(8)}); it holds the API token`, fix: `chmod 700 ${dir}` };
    }
    return { name: 'data directory', status: 'ok', detail: `${dir} is writable and private` };
  } catch (e) {
    return { name: 'data directory', status: 'fail', detail: `${dir} is not usable: ${(e as Error).message}`, fix: `choose another directory (flick up --data DIR) or fix its owner (sudo chown -R $USER ${dir})` };
  }
}

export async function checkEtcd(endpoint: string): Promise<CheckResult> {
  try {
    const res = await fetch(new URL('/health', endpoint), { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { health?: string };
    if (res.ok && body.health === 'true') return { name: 'etcd', status: 'ok', detail: `${endpoint} is healthy` };
    return { name: 'etcd', status: 'fail', detail: `${endpoint} answers but is not healthy (${JSON.stringify(body)})`, fix: 'check the etcd cluster: etcdctl endpoint health --cluster' };
  } catch (e) {
    return { name: 'etcd', status: 'fail', detail: `${endpoint} is unreachable: ${(e as Error).message}`, fix: 'start etcd (systemctl start etcd) or pass the right --etcd URL' };
  }
}

export async function runHostChecks(opts: HostCheckOptions): Promise<CheckResult[]> {
  const results = [checkNode(), checkMapCount(), checkOpenFiles(), await checkPort(opts.port), checkDataDir(opts.dataDir)];
  if (opts.etcd) results.push(await checkEtcd(opts.etcd));
  return results;
}

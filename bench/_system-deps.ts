/**
 * Debian packages a peer runtime needs: when its command is missing, the bench installs its group
 * through scripts/install-system-deps.sh (root only; otherwise the script says what to run), so a
 * fresh machine measures the peer instead of skipping it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { installRoot } from '../src/host/install-root.js';
import { progress } from './_harness.js';

export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Makes sure every one of `commands` is on PATH, installing the script's `group` if one is not; throws saying why it could not. */
export function ensureCommands(group: string, commands: string[]): void {
  if (commands.every(hasCommand)) return;
  progress(`${commands.filter((c) => !hasCommand(c)).join(', ')} missing: scripts/install-system-deps.sh ${group}`);
  const r = spawnSync('bash', [join(installRoot, 'scripts', 'install-system-deps.sh'), group], { stdio: ['ignore', 2, 'pipe'], encoding: 'utf8' });
  process.stderr.write(r.stderr ?? '');
  const missing = commands.filter((c) => !hasCommand(c));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not installed (scripts/install-system-deps.sh ${group} exited ${r.status}: ${(r.stderr ?? '').trim()})`);
}

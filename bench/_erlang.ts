/**
 * Erlang/OTP (Debian `erlang-base`) as a peer: bench/fixtures/flick_peer.erl compiled with erlc
 * into a temporary directory and run with `erl -noshell`. It prints tagged lines of integers, read
 * back here; the statistics are computed by the bench, with the same code as flick's figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installRoot } from '../src/host/install-root.js';
import { ensureCommands } from './_system-deps.js';

const SOURCE = join(installRoot, 'bench', 'fixtures', 'flick_peer.erl');
const RUN_TIMEOUT_MS = 10 * 60_000;

export interface ErlangPeer {
  /** OTP release and scheduler threads of the VM. */
  version: string;
  /** Tagged lines of one `flick_peer:main(Args)` call in a fresh VM, by tag: one entry per line. */
  run(args: string): Map<string, number[][]>;
  close(): void;
}

export function startErlang(): ErlangPeer {
  ensureCommands('erlang', ['erl', 'erlc']);
  const dir = mkdtempSync(join(tmpdir(), 'flick-erlang-'));
  execFileSync('erlc', ['-o', dir, SOURCE], { stdio: ['ignore', 2, 'inherit'] });
  const erl = (expr: string) => execFileSync('erl', ['-noshell', '-pa', dir, '-eval', `${expr}, halt().`], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: RUN_TIMEOUT_MS });
  const version = erl('io:format("OTP ~s, ~b schedulers", [erlang:system_info(otp_release), erlang:system_info(schedulers_online)])');
  return {
    version,
    run(args) {
      const lines = new Map<string, number[][]>();
      for (const line of erl(`flick_peer:main([${args}])`).trim().split('\n')) {
        const [tag, ...ints] = line.split(' ');
        lines.set(tag, [...(lines.get(tag) ?? []), ints.map(Number)]);
      }
      return lines;
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

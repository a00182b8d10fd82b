/**
 * `flick run FILE.wasm [--env K=V]... [--dir HOST[::GUEST]]... [-- ARGS]`: runs a WASI command
 * module as `wasmtime run` does. stdio is the terminal's, directories are mounted read-only, and the
 * module's exit code becomes flick's.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { WasiCommand } from '../../runtime/wasm/wasi/command.js';
import { HostDirectory } from '../../runtime/wasm/wasi/host-files.js';
import { processStdin, processStdio, processTerminals } from '../../runtime/wasm/wasi/host-stdio.js';
import type { FileSource } from '../../runtime/wasm/wasi/files.js';
import type { WasiMount } from '../../runtime/wasm/wasi/state.js';

/** 128 + SIGPIPE: what a shell reports for a native program whose reader went away. */
const EXIT_BROKEN_PIPE = 141;

interface RunOptions {
  env: string[];
  dir: string[];
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a WASI command module (like `wasmtime run`): stdio passed through, directories mounted read-only')
    .addHelpText('after', '\nExample:\n  $ npx flick run app.wasm --env GREETING=hi --dir ./data::/data -- --verbose input.txt\n')
    .argument('<file>', 'the WebAssembly module (.wasm)')
    .argument('[args...]', 'arguments for the module (put them after --)')
    .option('--env <K=V>', 'set an environment variable; `--env K` passes the host\'s value (repeatable)', collect, [])
    .option('--dir <HOST[::GUEST]>', 'mount a host directory read-only, as GUEST (default: HOST) (repeatable)', collect, [])
    .action(async (file: string, args: string[], opts: RunOptions) => {
      const env = opts.env.map(parseEnv);
      const files = new Map<string, FileSource>();
      const mounts: WasiMount[] = opts.dir.map((spec, i) => {
        const { host, guest } = parseDir(spec);
        files.set(`dir${i}`, new HostDirectory(host));
        return { guestPath: guest, source: `dir${i}` };
      });
      const command = await loadCommand(file, files);
      try {
        const { exitCode } = command.run({
          args: [basename(file), ...args],
          env,
          mounts,
          terminals: processTerminals(),
          stdio: processStdio,
        });
        process.exitCode = exitCode & 0xff;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
        process.exitCode = EXIT_BROKEN_PIPE;
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseEnv(spec: string): [string, string] {
  const eq = spec.indexOf('=');
  if (eq > 0) return [spec.slice(0, eq), spec.slice(eq + 1)];
  const inherited = eq < 0 ? process.env[spec] : undefined;
  if (inherited === undefined) {
    throw new CliError(`--env ${spec}: expected KEY=VALUE, or the name of a variable set in this shell`, 'for example --env GREETING=hello', 2);
  }
  return [spec, inherited];
}

function parseDir(spec: string): { host: string; guest: string } {
  const sep = spec.indexOf('::');
  const host = sep < 0 ? spec : spec.slice(0, sep);
  const guest = sep < 0 ? spec : spec.slice(sep + 2);
  if (host === '' || guest === '') throw new CliError(`--dir ${spec}: expected HOST or HOST::GUEST`, 'for example --dir ./public::/www', 2);
  return { host, guest };
}

async function loadCommand(file: string, files: ReadonlyMap<string, FileSource>): Promise<WasiCommand> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`, 'give the path of a .wasm file');
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw new CliError(`${file} is not a valid WebAssembly module: ${(e as Error).message}`, 'build it for wasm32-wasi, e.g. clang --target=wasm32-wasi -o app.wasm app.c');
  }
  return new WasiCommand(module, { files, stdin: processStdin });
}

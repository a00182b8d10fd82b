/**
 * `kind: "wasm"` apps bring their own toolchain: an optional command (argv, no shell) runs in the
 * app directory and must leave the module at `path`.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError } from '../errors.js';

/** Long enough for a real C or Rust build, short enough that a hung toolchain does not hang `flick build`. */
const COMMAND_TIMEOUT_MS = 10 * 60_000;
/** The end of a failing command's output is where its error usually is. */
const OUTPUT_TAIL_CHARS = 4000;

export async function produceWasm(appDir: string, path: string, command: string[] | undefined): Promise<Uint8Array> {
  if (command) await runCommand(appDir, command);
  try {
    return new Uint8Array(await readFile(join(appDir, path)));
  } catch {
    throw new BuildError(
      'missing_output',
      `build.path "${path}" does not exist in the app directory${command ? ' after running build.command' : ''}`,
      command ? 'make build.command write its module to build.path' : 'build the module first, or add build.command to produce it',
    );
  }
}

function runCommand(appDir: string, command: string[]): Promise<void> {
  const [program, ...args] = command;
  return new Promise((resolve, reject) => {
    // SOURCE_DATE_EPOCH asks tools that would stamp the build time to use a fixed one instead.
    const child = spawn(program, args, {
      cwd: appDir,
      env: { ...process.env, SOURCE_DATE_EPOCH: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Not spawn's own `timeout`: its timer outlives a command that fails to start and holds the process open.
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new BuildError('command_failed', `build.command could not start "${program}": ${e.code ?? e.message}`, `install ${program} or fix build.command[0]`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new BuildError('command_failed', `build.command (${command.join(' ')}) ${how}${output.trim() ? `:\n${output.trim()}` : ''}`, 'run the command by hand in the app directory and fix what it reports'));
    });
  });
}

// WASI preview1 in TypeScript, checked against real C programs: each fixture is built natively and
// for wasm32-wasi, and both builds must print the same bytes and exit with the same code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCFixtures } from '../fixtures/c/build.mjs';
import { SandboxError } from '../../src/runtime/errors.js';
import type { ContextRef, InstanceContext } from '../../src/runtime/wasm/host-context.js';
import { Errno, Rights } from '../../src/runtime/wasm/wasi/abi.js';
import { CommandModuleError, WasiCommand, type WasiCommandHost } from '../../src/runtime/wasm/wasi/command.js';
import { memoryFileSource, type FileSource } from '../../src/runtime/wasm/wasi/files.js';
import { HostDirectory } from '../../src/runtime/wasm/wasi/host-files.js';
import { wasiImports } from '../../src/runtime/wasm/wasi/imports.js';
import { newWasiState, WasiExit, type WasiMount, type WasiState } from '../../src/runtime/wasm/wasi/state.js';

interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

interface RunSpec {
  args?: string[];
  env?: Array<[string, string]>;
  stdin?: Uint8Array;
}

let fixtures: { wasm(name: string): string; native(name: string): string };
let tree: string;
const tmpDirs: string[] = [];
const treeFiles = new Map<string, Uint8Array>([
  ['a.txt', Buffer.from('hello, file tree\n')],
  ['sub/b.txt', Buffer.from('second file')],
  ['sub/deeper/c.txt', Buffer.from('')],
  ['z.md', Buffer.from('# last\n')],
]);

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flick-wasi-'));
  tmpDirs.push(dir);
  return dir;
}

/** The files of `treeFiles` in a fresh host directory. */
function hostTree(): string {
  const dir = tempDir();
  for (const [path, bytes] of treeFiles) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

before(() => {
  fixtures = buildCFixtures();
  tree = hostTree();
});

after(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

function runNative(name: string, spec: RunSpec, cwdArgs: string[] = []): Outcome {
  const r = spawnSync(fixtures.native(name), [...cwdArgs, ...(spec.args ?? [])], {
    argv0: name,
    env: Object.fromEntries(spec.env ?? []),
    input: spec.stdin ?? Buffer.alloc(0),
  });
  return { stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1'), exitCode: r.status };
}

const commands = new Map<string, WasiCommand>();
async function command(name: string, host?: WasiCommandHost): Promise<WasiCommand> {
  if (host) return WasiCommand.compile(readFileSync(fixtures.wasm(name)), host);
  if (!commands.has(name)) commands.set(name, await WasiCommand.compile(readFileSync(fixtures.wasm(name))));
  return commands.get(name)!;
}

function runWasm(cmd: WasiCommand, name: string, spec: RunSpec, mounts: WasiMount[] = [], guestArgs: string[] = []): Outcome & { wasi: WasiState } {
  const out: Uint8Array[][] = [[], []];
  const result = cmd.run({
    args: [name, ...guestArgs, ...(spec.args ?? [])],
    env: spec.env ?? [],
    stdin: spec.stdin ?? new Uint8Array(0),
    mounts,
    stdio: { write: (fd, bytes) => out[fd - 1].push(bytes.slice()) },
  });
  return {
    stdout: Buffer.concat(out[0]).toString('latin1'),
    stderr: Buffer.concat(out[1]).toString('latin1'),
    exitCode: result.exitCode,
    wasi: result.wasi,
  };
}

describe('a C program built for wasm32-wasi behaves as its native build', () => {
  const allBytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff));
  const cases: Array<[string, RunSpec]> = [
    ['args, env and text on stdin, returning 0', { args: ['one', 'two words', 'ünïcødé', ''], env: [['GREETING', 'hello wörld'], ['EMPTY', ''], ['EQ', 'a=b']], stdin: Buffer.from('line one\nline two\n') }],
    ['exit(3) with binary stdin and a stderr line', { args: ['--exit', '3', '--stderr', 'to stderr'], stdin: allBytes }],
    ['main returning 5', { args: ['--return', '5'], stdin: Buffer.from('no newline at the end') }],
    ['nothing on stdin, no environment', {}],
    ['a large stdin (many reads)', { stdin: Buffer.alloc(300_000, 'abcdefghij\n') }],
    ['exit(255)', { args: ['--exit', '255'] }],
    ['a sleep through poll_oneoff', { args: ['--sleep-ms', '25'] }],
  ];
  for (const [title, spec] of cases) {
    it(title, async () => {
      const native = runNative('process_io', spec);
      const wasm = runWasm(await command('process_io'), 'process_io', spec);
      assert.equal(wasm.stdout, native.stdout);
      assert.equal(wasm.stderr, native.stderr);
      assert.equal(wasm.exitCode, native.exitCode);
    });
  }

  it('lists and reads a mounted host directory as it does natively', async () => {
    const native = runNative('list_dir', { args: [tree, 'a.txt'] });
    assert.match(native.stdout, /f sub\/b\.txt \(11 bytes\)/);
    const files = new Map<string, FileSource>([['tree', new HostDirectory(tree)]]);
    const wasm = runWasm(await command('list_dir', { files }), 'list_dir', { args: ['/data', 'a.txt'] }, [{ guestPath: '/data', source: 'tree' }]);
    assert.equal(wasm.stdout, native.stdout);
    assert.equal(wasm.exitCode, 0);
  });

  it('lists and reads an in-memory tree (an image) as the same files on disk', async () => {
    const native = runNative('list_dir', { args: [tree, 'sub/b.txt'] });
    const wasm = runWasm(await command('list_dir', { files: memoryFileSource(treeFiles) }), 'list_dir', { args: ['/app', 'sub/b.txt'] }, [{ guestPath: '/app' }]);
    assert.equal(wasm.stdout, native.stdout);
  });

  it('traps on abort() where the native build dies of SIGABRT', async () => {
    const native = spawnSync(fixtures.native('process_io'), ['--abort']);
    assert.equal(native.signal, 'SIGABRT');
    assert.throws(() => runWasm(commands.get('process_io')!, 'process_io', { args: ['--abort'] }), (e: unknown) => e instanceof SandboxError && e.code === 'trap');
  });
});

describe('read-only mounts', () => {
  let probe: WasiCommand;
  let linked: string;
  before(async () => {
    const outside = tempDir();
    writeFileSync(join(outside, 'secret'), 'not for guests');
    linked = hostTree();
    symlinkSync(outside, join(linked, 'escape'));
    symlinkSync(join(linked, 'sub', 'b.txt'), join(linked, 'inside-link'));
    probe = await command('open_probe', { files: new Map([['tree', new HostDirectory(linked)]]) });
  });

  function probeOutput(...paths: string[]): string {
    return runWasm(probe, 'open_probe', { args: paths }, [{ guestPath: '/data', source: 'tree' }]).stdout;
  }

  it('reads files but refuses writes, creation and truncation with EROFS', () => {
    assert.equal(
      probeOutput('r:/data/a.txt', 'w:/data/a.txt', 'c:/data/new.txt', 'c:/data/a.txt', 'd:/data/sub', 'd:/data/a.txt', 'r:/data/missing'),
      ['r:/data/a.txt: ok', '  read 17 bytes', '  write: EBADF', 'w:/data/a.txt: EROFS', 'c:/data/new.txt: EROFS', 'c:/data/a.txt: EROFS',
        'd:/data/sub: ok', 'd:/data/a.txt: ENOTDIR', 'r:/data/missing: ENOENT', ''].join('\n'),
    );
  });

  it('refuses .. out of the mount and hides symlinks that leave it, but follows those that stay inside', () => {
    assert.equal(
      probeOutput('r:/data/../etc/passwd', 'r:/data/sub/../../x', 'r:/data/escape/secret', 'd:/data/escape', 'r:/data/inside-link', 'r:/data/sub/../a.txt'),
      ['r:/data/../etc/passwd: ENOTCAPABLE', 'r:/data/sub/../../x: ENOTCAPABLE', 'r:/data/escape/secret: ENOENT', 'd:/data/escape: ENOENT',
        'r:/data/inside-link: ok', '  read 11 bytes', '  write: EBADF', 'r:/data/sub/../a.txt: ok', '  read 17 bytes', '  write: EBADF', ''].join('\n'),
    );
    const host = new HostDirectory(linked);
    assert.equal(host.stat('escape'), null);
    assert.deepEqual(host.list('')?.map((e) => e.name), ['a.txt', 'inside-link', 'sub', 'z.md']);
  });
});

describe('WASI state is plain data', () => {
  /** Calls imports directly on a bare memory: a guest that opens a file and reads it in two steps. */
  function harness(state: WasiState, files: FileSource) {
    const ref: ContextRef = { current: null };
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const written: string[] = [];
    const ctx: InstanceContext = {
      memory, wasi: state, call: null, messaging: null, kv: new Map(), log: () => {},
      stdio: { write: (_fd, bytes) => written.push(Buffer.from(bytes).toString()) },
    };
    ref.current = ctx;
    const wasi = wasiImports(ref, files) as Record<string, (...args: unknown[]) => number>;
    const view = () => new DataView(memory.buffer);
    const put = (at: number, text: string) => new Uint8Array(memory.buffer).set(Buffer.from(text), at);
    const read = (fd: number, len: number) => {
      view().setUint32(300, 400, true);
      view().setUint32(304, len, true);
      assert.equal(wasi.fd_read(fd, 300, 1, 500), Errno.SUCCESS);
      return Buffer.from(memory.buffer, 400, view().getUint32(500, true)).toString();
    };
    return { wasi, memory, view, put, read, written };
  }

  it('an open file survives structuredClone and reads on where it stopped, in a fresh memory', () => {
    const files = memoryFileSource(new Map([['dir/file.txt', Buffer.from('0123456789')]]));
    const state = newWasiState({ args: ['t'], env: [['K', 'V']], mounts: [{ guestPath: '/app' }] });
    const first = harness(state, files);
    first.put(100, 'dir/file.txt');
    assert.equal(first.wasi.path_open(3, 0, 100, 12, 0, BigInt(Rights.FD_READ | Rights.FD_SEEK), 0n, 0, 200), Errno.SUCCESS);
    const fd = first.view().getUint32(200, true);
    assert.equal(first.read(fd, 4), '0123');

    const copy = structuredClone(state);
    assert.deepEqual(copy, state);
    const second = harness(copy, files);
    assert.equal(second.read(fd, 100), '456789');
    assert.equal(first.read(fd, 2), '45', 'the original is independent of its copy');
  });

  it('re-reads memory.buffer after memory.grow', () => {
    const h = harness(newWasiState({ args: [], env: [] }), memoryFileSource(new Map()));
    h.memory.grow(1);
    h.put(70_000, 'after grow');
    h.view().setUint32(65_600, 70_000, true);
    h.view().setUint32(65_604, 10, true);
    assert.equal(h.wasi.fd_write(1, 65_600, 1, 65_700), Errno.SUCCESS);
    assert.deepEqual(h.written, ['after grow']);
  });

  it('refuses pointers outside memory with EFAULT instead of throwing', () => {
    const h = harness(newWasiState({ args: [], env: [] }), memoryFileSource(new Map()));
    assert.equal(h.wasi.fd_write(1, 65_530, 1, 0), Errno.FAULT);
    assert.equal(h.wasi.random_get(-8, 16), Errno.FAULT);
  });

  it('a finished run leaves a state that structuredClone copies exactly', async () => {
    const r = runWasm(await command('process_io'), 'process_io', { args: ['--exit', '4'], stdin: Buffer.from('abc') });
    assert.ok(!Buffer.isBuffer(r.wasi.stdin.bytes), 'state holds a plain Uint8Array');
    assert.equal(r.wasi.exitCode, 4);
    assert.equal(r.wasi.stdin.offset, 3);
    assert.deepEqual(structuredClone(r.wasi), r.wasi);
  });

  it('proc_exit throws WasiExit with the code', () => {
    const h = harness(newWasiState({ args: [], env: [] }), memoryFileSource(new Map()));
    assert.throws(() => h.wasi.proc_exit(7), (e: unknown) => e instanceof WasiExit && e.code === 7);
  });
});

describe('linking', () => {
  it('provides every preview1 function wasi-libc can import', () => {
    const names = Object.keys(wasiImports({ current: null }));
    const libcImports = '/usr/lib/wasm32-wasi/libc.imports';
    const wanted = readFileSync(libcImports, 'utf8').split('\n').filter(Boolean).map((l) => l.replace('__imported_wasi_snapshot_preview1_', ''));
    assert.equal(wanted.length, 45);
    assert.deepEqual(wanted.filter((n) => !names.includes(n)), []);
  });

  it('refuses a module that imports something WASI does not provide, naming it', () => {
    // (module (import "env" "foo" (func)))
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 11, 1, 3, 0x65, 0x6e, 0x76, 3, 0x66, 0x6f, 0x6f, 0, 0]);
    assert.throws(() => new WasiCommand(new WebAssembly.Module(bytes)), (e: unknown) => e instanceof CommandModuleError && /env\.foo/.test(e.message));
  });
});

describe('flick run', () => {
  // Only the run command is registered, so this test does not depend on the rest of the CLI.
  function flickRun(args: string[], input: string) {
    const entry = [
      `import { Command } from 'commander';`,
      `import { register } from './src/cli/commands/run.ts';`,
      `const program = new Command('flick');`,
      `register(program);`,
      `await program.parseAsync(process.argv.slice(1), { from: 'user' });`,
    ].join('\n');
    return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', entry, 'run', ...args], { input, cwd: process.cwd() });
  }

  it('passes stdio through and exits with the module\'s code', () => {
    const args = ['--exit', '9', 'x y'];
    const r = flickRun([fixtures.wasm('process_io'), '--env', 'GREETING=from cli', '--', ...args], 'typed in\n');
    const native = runNative('process_io', { args, env: [['GREETING', 'from cli']], stdin: Buffer.from('typed in\n') });
    assert.equal(r.stderr.toString(), '');
    assert.equal(r.stdout.toString('latin1'), native.stdout.replace('argv[0]=process_io', 'argv[0]=process_io.wasm'));
    assert.equal(r.status, 9);
  });

  it('mounts a host directory read-only under the guest name', () => {
    const r = flickRun([fixtures.wasm('list_dir'), '--dir', `${tree}::/data`, '--', '/data', 'a.txt'], '');
    assert.equal(r.stdout.toString('latin1'), runNative('list_dir', { args: [tree, 'a.txt'] }).stdout);
    assert.equal(r.status, 0);
  });
});

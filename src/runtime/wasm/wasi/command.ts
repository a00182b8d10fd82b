/**
 * Runs a WASI command module (one with `_start`) to completion, the way `wasmtime run` does: a fresh
 * instance per run, arguments, environment, stdin and read-only mounts in, stdout and stderr to a
 * sink, and the exit code out. `flick run` uses it once; WAGI uses it once per request.
 */
import { SandboxError } from '../../errors.js';
import type { ContextRef, InstanceContext, StdioSink } from '../host-context.js';
import { wasiImports, type StdinReader, type WasiFiles } from './imports.js';
import { newWasiState, WasiExit, type WasiState, type WasiStateOptions } from './state.js';
import { HintedError } from '../../../hinted-error.js';

const WASI_MODULE = 'wasi_snapshot_preview1';

/** The module cannot run as a command: it is a reactor, imports what WASI does not offer, or hides its memory. */
export class CommandModuleError extends HintedError {}

export interface CommandRunOptions extends WasiStateOptions {
  stdio: StdioSink;
}

export interface CommandResult {
  /** What the module passed to proc_exit, or 0 when `_start` returned. */
  exitCode: number;
  /** The WASI state the run ended with (plain data). */
  wasi: WasiState;
}

export interface WasiCommandHost {
  /** File trees that mounts name (see `WasiMount.source`). */
  files?: WasiFiles;
  /** The host's live stdin, for runs whose options carry no stdin bytes. */
  stdin?: StdinReader;
}

export class WasiCommand {
  private readonly module: WebAssembly.Module;
  private readonly ref: ContextRef = { current: null };
  private readonly imports: WebAssembly.Imports;

  /** Checks once that the module is a command module flick can link; throws CommandModuleError if not. */
  constructor(module: WebAssembly.Module, host: WasiCommandHost = {}) {
    const wasi = wasiImports(this.ref, host.files, host.stdin);
    const unknown = WebAssembly.Module.imports(module)
      .filter((i) => i.module !== WASI_MODULE || i.kind !== 'function' || !(i.name in wasi))
      .map((i) => `${i.module}.${i.name} (${i.kind})`);
    if (unknown.length > 0) {
      throw new CommandModuleError(
        `the module imports what WASI preview1 does not provide: ${unknown.join(', ')}`,
        'build it for wasm32-wasi (clang --target=wasm32-wasi, cargo --target wasm32-wasip1) without other host imports, and with its own memory',
      );
    }
    const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
    if (exports.get('_start') !== 'function') {
      throw new CommandModuleError(
        'the module has no _start function: it is not a WASI command module',
        'give it a main() and link it as a command (the default for clang --target=wasm32-wasi); a reactor needs the flick ABI instead',
      );
    }
    if (exports.get('memory') !== 'memory') {
      throw new CommandModuleError('the module does not export its memory, which WASI reads and writes', 'export the memory as `memory` (wasm-ld does by default)');
    }
    this.module = module;
    this.imports = { [WASI_MODULE]: wasi as WebAssembly.ModuleImports };
  }

  static async compile(bytes: Uint8Array, host?: WasiCommandHost): Promise<WasiCommand> {
    return new WasiCommand(await WebAssembly.compile(bytes), host);
  }

  /**
   * Instantiates and runs `_start`. A trap or stack overflow is a SandboxError; an error thrown by
   * the sink (a response too large, say) ends the run and is rethrown as it is.
   */
  run(opts: CommandRunOptions): CommandResult {
    const { stdio, ...wasiOptions } = opts;
    const wasi = newWasiState(wasiOptions);
    const instance = new WebAssembly.Instance(this.module, this.imports);
    const ctx: InstanceContext = {
      memory: instance.exports.memory as WebAssembly.Memory,
      wasi,
      stdio,
      call: null,
      messaging: null,
      kv: new Map(),
      log: (level, message) => stdio.write(2, Buffer.from(`${level}: ${message}\n`)),
      // `flick run` is the user's own program in the foreground, like `wasmtime run`: no deadline.
      deadlineAt: Infinity,
      hostCallsLeft: Infinity,
    };
    const outer = this.ref.current;
    this.ref.current = ctx;
    try {
      (instance.exports._start as () => void)();
      return { exitCode: 0, wasi };
    } catch (e) {
      if (e instanceof WasiExit) return { exitCode: e.code, wasi };
      throw classifyFailure(e);
    } finally {
      this.ref.current = outer;
    }
  }
}

function classifyFailure(e: unknown): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new SandboxError('stack_overflow', 'the module overflowed its call stack (deep or unbounded recursion)', 'bound the recursion depth or make it iterative', 500, { cause: e });
  }
  if (e instanceof WebAssembly.RuntimeError) {
    return new SandboxError('trap', `the module trapped: ${e.message}`, "a trap is the program's abort() or a bug in it (out-of-bounds access, unreachable code)", 500, { cause: e });
  }
  return e;
}

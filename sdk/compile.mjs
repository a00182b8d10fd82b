// Compiles an AssemblyScript app against the flick SDK, in memory. One place owns the compiler
// flags, so `flick build`, scripts/build-examples.mjs and the tests produce the same bytes.
import { createMemoryStream, main } from 'assemblyscript/asc';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder whose `flick/` subfolder is the SDK package: `import { request } from "flick"`. */
export const SDK_PACKAGES_DIR = fileURLToPath(new URL('./assembly/', import.meta.url));

// A virtual entry that pulls in the SDK's replacements for AssemblyScript's `env` imports even when
// an app does not import "flick". Its name is fixed, so output does not depend on where the app is.
const RUNTIME_ENTRY = '__flick_runtime__.ts';
const RUNTIME_ENTRY_SOURCE = 'import "flick/runtime";\n';
const OUTPUT = '__flick_output__.wasm';

/** Flags that make a flick reactor: see docs/abi.md, "AssemblyScript". */
export const ASC_FLAGS = Object.freeze([
  '--optimizeLevel', '3', '--shrinkLevel', '2',
  // Start code runs when the host calls _initialize, after it has set up the instance's context.
  '--exportStart', '_initialize',
  '--use', 'abort=flickAbort', '--use', 'trace=flickTrace', '--use', 'seed=flickSeed',
  '--noColors',
]);

/** AssemblyScript memory managers. Reactors keep state across calls, so the default collects garbage on its own. */
export const ASC_RUNTIMES = Object.freeze(['incremental', 'minimal', 'stub']);

export class AssemblyScriptError extends Error {
  constructor(message, diagnostics) {
    super(message);
    this.name = 'AssemblyScriptError';
    this.diagnostics = diagnostics;
  }
}

/**
 * @param {{ appDir: string, entry: string, runtime?: 'incremental' | 'minimal' | 'stub', textFile?: boolean }} options
 * @returns {Promise<{ wasm: Uint8Array, text?: string }>}
 */
export async function compileAssemblyScript({ appDir, entry, runtime = 'incremental', textFile = false }) {
  if (!ASC_RUNTIMES.includes(runtime)) throw new AssemblyScriptError(`unknown AssemblyScript runtime "${runtime}"`, `use one of ${ASC_RUNTIMES.join(', ')}`);
  const outputs = new Map();
  const argv = [
    entry, RUNTIME_ENTRY,
    '--baseDir', appDir, '--path', SDK_PACKAGES_DIR, '--outFile', OUTPUT,
    '--runtime', runtime,
    ...(textFile ? ['--textFile', `${OUTPUT}.wat`] : []),
    ...ASC_FLAGS,
  ];
  const stderr = createMemoryStream();
  const result = await main(argv, {
    stdout: createMemoryStream(),
    stderr,
    readFile: async (name, baseDir) => {
      if (name === RUNTIME_ENTRY) return RUNTIME_ENTRY_SOURCE;
      // An app's asconfig.json would override the pinned flags above.
      if (name === 'asconfig.json') return null;
      return readFile(resolve(baseDir, name), 'utf8').catch(() => null);
    },
    writeFile: (name, contents) => { outputs.set(name, contents); },
    listFiles: () => [],
  });
  const wasm = outputs.get(OUTPUT);
  if (result.error || !(wasm instanceof Uint8Array)) {
    const diagnostics = stderr.toString();
    throw new AssemblyScriptError(
      `AssemblyScript compilation of ${entry} in ${appDir} failed: ${result.error?.message ?? 'no output'}\n${diagnostics}`,
      diagnostics,
    );
  }
  const text = outputs.get(`${OUTPUT}.wat`);
  return textFile ? { wasm, text: typeof text === 'string' ? text : new TextDecoder().decode(text) } : { wasm };
}

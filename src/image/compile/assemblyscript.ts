/**
 * AssemblyScript apps compile through the SDK's own compiler entry (sdk/compile.mjs), which owns the
 * asc flags and maps `import ... from "flick"` to sdk/assembly/flick, so `flick build`, the example
 * build script and the tests all produce the same bytes for the same source.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installRoot } from '../../host/install-root.js';
import { BuildError } from '../errors.js';
import type { AscRuntime } from '../build-spec.js';

/** The part of sdk/compile.mjs this module relies on. */
interface SdkCompiler {
  compileAssemblyScript(options: { appDir: string; entry: string; runtime: AscRuntime }): Promise<{ wasm: Uint8Array }>;
}

const SDK_COMPILER = join(installRoot, 'sdk', 'compile.mjs');

let sdkCompiler: Promise<SdkCompiler> | undefined;

export async function compileAssemblyScript(appDir: string, entry: string, runtime: AscRuntime): Promise<Uint8Array> {
  sdkCompiler ??= loadSdkCompiler();
  const compiler = await sdkCompiler;
  try {
    return (await compiler.compileAssemblyScript({ appDir, entry, runtime })).wasm;
  } catch (e) {
    const diagnostics = (e as { diagnostics?: unknown }).diagnostics;
    throw new BuildError(
      'compile_failed',
      `${entry} does not compile${typeof diagnostics === 'string' && diagnostics.trim() ? `:\n${diagnostics.trim()}` : `: ${e instanceof Error ? e.message : String(e)}`}`,
      'fix the AssemblyScript errors above (paths are relative to the app directory)',
    );
  }
}

async function loadSdkCompiler(): Promise<SdkCompiler> {
  if (existsSync(SDK_COMPILER)) return (await import(pathToFileURL(SDK_COMPILER).href)) as SdkCompiler;
  throw new BuildError('compile_failed', 'the AssemblyScript SDK (sdk/compile.mjs) is not installed next to this flick', 'reinstall flick with `npm ci` at the repository root');
}

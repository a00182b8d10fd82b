/** Types for compile.mjs (plain JS so scripts can use it before anything is compiled). */
export declare const SDK_PACKAGES_DIR: string;
export declare const ASC_FLAGS: readonly string[];
export declare const ASC_RUNTIMES: readonly ['incremental', 'minimal', 'stub'];
export type AscRuntime = (typeof ASC_RUNTIMES)[number];

export declare class AssemblyScriptError extends Error {
  /** The compiler's diagnostics, as it printed them. */
  readonly diagnostics: string;
  constructor(message: string, diagnostics: string);
}

export interface CompileOptions {
  /** The app directory; `entry` and the paths in diagnostics are relative to it. */
  appDir: string;
  entry: string;
  runtime?: AscRuntime;
  /** Also return the text format (for reading what was generated). */
  textFile?: boolean;
}

export declare function compileAssemblyScript(options: CompileOptions): Promise<{ wasm: Uint8Array; text?: string }>;

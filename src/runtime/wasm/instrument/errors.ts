/**
 * Why the node refuses to load a module. Memory over the manifest's limit is a SandboxError
 * (`memory_limit_exceeded`, a limit like any other); everything here is about the module itself.
 */
export type ModuleRejectedCode =
  /** Not a valid WebAssembly module for this node's engine. */
  | 'invalid_module'
  /** Valid, but uses something the sandbox cannot isolate or meter (several memories, shared or 64-bit memory, GC…). */
  | 'unsupported_module'
  /** Uses a name the node reserves for its own imports and exports (`__flick_*`, `flick`.`memory`). */
  | 'reserved_name';

export class ModuleRejectedError extends Error {
  readonly code: ModuleRejectedCode;
  readonly hint: string;
  constructor(code: ModuleRejectedCode, message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModuleRejectedError';
    this.code = code;
    this.hint = hint;
  }
}

/**
 * Errors meant for people. A command throws `CliError` with one sentence and a hint; `main` prints
 * them without a stack trace (unless --debug) and exits with `exitCode`: 1 failure, 2 usage.
 */
export class CliError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2;
  constructor(message: string, hint?: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'CliError';
    this.hint = hint;
    this.exitCode = exitCode;
  }
}

/** Errors from lower layers that already speak to people (they carry a `hint`). */
export interface HintedError extends Error {
  hint: string;
}

export function isHinted(e: unknown): e is HintedError {
  return e instanceof Error && typeof (e as Partial<HintedError>).hint === 'string';
}

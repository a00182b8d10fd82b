/**
 * The common shape of flick's errors meant for people: one sentence, and a hint that says what to
 * do. The CLI prints both (src/cli/main.ts) and the control API sends both.
 */
export class HintedError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

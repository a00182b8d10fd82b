/**
 * Exit reasons, modelled on Erlang's: atoms are strings, tuples are one-key objects.
 *
 * - `'normal'`            the process finished its work.
 * - `'shutdown'`          it was asked to stop (by its supervisor, or it chose to stop cleanly).
 * - `{ shutdown: term }`  a clean stop that carries a detail (Erlang's `{shutdown, Term}`).
 * - `'kill'`              as a *signal* sent with `exit(pid, 'kill')` it cannot be trapped and the
 *                         target ends with `'killed'`; a process that itself ends with `'kill'` sends
 *                         an ordinary (trappable) link signal, as in Erlang.
 * - `'killed'`            what a process that received the untrappable kill ends with.
 * - `'noproc'`            the process did not exist (monitor/link of a dead pid).
 * - `'noconnection'`      the process is on another node that can no longer be reached (the node
 *                         died or left): what links and monitors to it fire with, as in Erlang.
 * - `{ error: term }`     a crash: any other reason, e.g. a thrown error or a trap.
 */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | 'kill'
  | 'killed'
  | 'noproc'
  | 'noconnection'
  | { readonly shutdown: unknown }
  | { readonly error: unknown };

/**
 * `normal`, `shutdown` and `{shutdown, _}`: the reasons OTP treats as a clean end. A transient
 * child that ends with one of them is not restarted and no crash is reported.
 */
export function isCleanExit(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown' || (typeof reason === 'object' && 'shutdown' in reason);
}

/** A short, stable rendering for logs and test transcripts: `normal`, `{shutdown,x}`, `{error,boom}`. */
export function formatExitReason(reason: ExitReason): string {
  if (typeof reason === 'string') return reason;
  if ('shutdown' in reason) return `{shutdown,${formatTerm(reason.shutdown)}}`;
  return `{error,${formatTerm(reason.error)}}`;
}

/**
 * The same reason with its terms as text (an Error becomes its message), so that it survives
 * being copied to another process or node: what it says stays, what it points to does not.
 */
export function plainExitReason(reason: ExitReason): ExitReason {
  if (typeof reason === 'string') return reason;
  return 'shutdown' in reason ? { shutdown: formatTerm(reason.shutdown) } : { error: formatTerm(reason.error) };
}

function formatTerm(term: unknown): string {
  if (term instanceof Error) return term.message;
  if (typeof term === 'string') return term;
  try {
    return JSON.stringify(term) ?? String(term);
  } catch {
    return String(term);
  }
}

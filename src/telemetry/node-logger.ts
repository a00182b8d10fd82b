/**
 * The node's own structured logs: pino JSON lines on stdout (or a given stream). Each line carries
 * what it is about (request id and trace id, app, release, instance) as fields, not in the text.
 * Level from FLICK_LOG_LEVEL (default info); per-request lines are debug, so they cost a level
 * check unless asked for.
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type NodeLogger = Logger;
export type NodeLogLevel = Level | 'silent';

export const LOG_LEVELS: readonly NodeLogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createNodeLogger(level: NodeLogLevel = 'info', destination?: DestinationStream): NodeLogger {
  return pino({ name: 'flick', level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ dest: 1, sync: true }));
}

/** FLICK_LOG_LEVEL when it names a level; otherwise `fallback` (an unknown level is not fatal: it is reported). */
export function levelFromEnv(fallback: NodeLogLevel): { level: NodeLogLevel; unknown: string | null } {
  const raw = process.env.FLICK_LOG_LEVEL;
  if (raw === undefined || raw === '') return { level: fallback, unknown: null };
  return (LOG_LEVELS as readonly string[]).includes(raw) ? { level: raw as NodeLogLevel, unknown: null } : { level: fallback, unknown: raw };
}

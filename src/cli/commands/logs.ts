/**
 * `flick logs NAME [-f]`: an app's log lines (its instances' stdout, stderr and log calls) from the
 * node's bounded buffer; with -f, follows new lines until interrupted.
 */
import type { Command } from 'commander';
import { ApiClient, withServer, type ServerOptions } from '../client.js';
import { CliError } from '../errors.js';
import type { StoredLogLine } from '../../telemetry/log-buffer.js';

interface LogsOptions extends ServerOptions {
  follow?: boolean;
  instance?: string;
  tail: string;
  json?: boolean;
}

export function register(program: Command): void {
  withServer(program.command('logs'))
    .argument('<app>', 'app name (see flick ps)')
    .option('-f, --follow', 'keep printing new lines as they come')
    .option('--instance <id>', 'only this instance\'s lines')
    .option('--tail <n>', 'how many recent lines to print first', '100')
    .option('--json', 'print each line as a JSON object')
    .description('print an app\'s log lines (its instances\' stdout, stderr and log calls)')
    .addHelpText('after', '\nExample:\n  $ npx flick logs counter -f\n')
    .action(async (app: string, opts: LogsOptions) => {
      const tail = Number(opts.tail);
      if (!Number.isInteger(tail) || tail < 0) throw new CliError(`--tail ${opts.tail} is not a number of lines`, 'e.g. --tail 50', 2);
      const query = new URLSearchParams({ app, tail: String(tail) });
      if (opts.instance) query.set('instance', opts.instance);
      if (opts.follow) query.set('follow', '1');
      const res = await new ApiClient(opts).request('GET', `/logs?${query}`);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      await printLines(res, opts.json === true, stop.signal);
    });
}

async function printLines(res: Response, json: boolean, signal: AbortSignal): Promise<void> {
  const reader = res.body!.getReader();
  signal.addEventListener('abort', () => void reader.cancel());
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const raw of lines) if (raw) process.stdout.write(`${json ? raw : render(JSON.parse(raw) as StoredLogLine | { dropped: number })}\n`);
  }
}

function render(line: StoredLogLine | { dropped: number }): string {
  if ('dropped' in line) return `… ${line.dropped} lines dropped (this reader fell behind)`;
  return `${new Date(line.time).toISOString()} ${(line.instance ?? line.release).padEnd(14)} ${line.level.padEnd(5)} ${line.message}`;
}

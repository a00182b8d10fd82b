/**
 * The `flick` command. Each subcommand lives in `commands/<name>.ts` and exports `register`.
 * Exit codes: 0 success, 1 failure, 2 usage.
 */
import { Command, CommanderError } from 'commander';
import { CliError, isHinted } from './errors.js';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const program = new Command('flick')
    .description('flick: cloud instances as cheap as Erlang processes')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    // Usage errors are printed by reportError, in the same shape as every other error.
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true);
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, debug, program.commands.find((c) => argv.includes(c.name()))?.name());
  }
}

function reportError(e: unknown, debug: boolean, command: string | undefined): number {
  if (e instanceof CommanderError) {
    // --help and --version end here with code 0.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (debug) console.error(e);
    // commander's message is "error: <sentence>", sometimes followed by "(Did you mean …?)".
    const [sentence, ...rest] = e.message.replace(/^error: /, '').split('\n');
    const suggestion = rest.join(' ').trim().replace(/^\((.*)\)$/, '$1');
    const usage = command ? `see flick ${command} --help` : 'see flick --help for the commands';
    printError(sentence, suggestion ? `${suggestion} (${usage})` : usage);
    return 2;
  }
  if (debug) console.error(e);
  if (e instanceof CliError) {
    printError(e.message, e.hint);
    return e.exitCode;
  }
  if (isHinted(e)) {
    printError(e.message, e.hint);
    return 1;
  }
  printError(e instanceof Error ? e.message : String(e), 'run again with --debug for details');
  return 1;
}

function printError(message: string, hint: string | undefined): void {
  process.stderr.write(`flick: ${message}\n`);
  if (hint) process.stderr.write(`  hint: ${hint}\n`);
}

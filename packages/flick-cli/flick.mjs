#!/usr/bin/env node
// The `flick` command as linked by `npm ci`: it runs this repository's own compiled CLI.
// Commands that host instances need V8 flags that only take effect at process start
// (see src/host/v8-flags.ts), so for those this process re-executes itself with them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOST_COMMANDS = new Set(['up', 'dev']);
const FLAG = '--disable-wasm-trap-handler';
const argv = process.argv.slice(2);

if (HOST_COMMANDS.has(argv.find((a) => !a.startsWith('-'))) && !process.execArgv.includes(FLAG)) {
  // The IPC channel ties the child's life to this process: if this one is killed outright
  // (kill -9), the channel closes and the child dies the same way instead of running on unseen.
  const child = spawn(process.execPath, [FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  if (process.send) {
    process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
    process.channel?.unref();
  }
  const { main } = await import('../../dist/src/cli/main.js');
  process.exitCode = await main(argv);
}

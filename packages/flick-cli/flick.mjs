#!/usr/bin/env node
// The `flick` command as linked by `npm ci`: it runs this repository's own compiled CLI.
import { main } from '../../dist/src/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

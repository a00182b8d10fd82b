/** The registry of subcommands, in the order `flick --help` lists them. */
import type { Command } from 'commander';
import { register as doctor } from './doctor.js';
import { register as bench } from './bench.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [doctor, bench];

/** The registry of subcommands, in the order `flick --help` lists them. */
import type { Command } from 'commander';
import { register as up } from './up.js';
import { register as init } from './init.js';
import { register as dev } from './dev.js';
import { register as build } from './build.js';
import { register as inspect } from './inspect.js';
import { register as run } from './run.js';
import { register as deploy } from './deploy.js';
import { register as instances } from './instances.js';
import { register as logs } from './logs.js';
import { register as top } from './top.js';
import { register as doctor } from './doctor.js';
import { register as bench } from './bench.js';
import { register as gc } from './gc.js';
import { register as scale } from './scale.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [up, init, dev, build, inspect, run, deploy, instances, scale, logs, top, doctor, bench, gc];

/** The state of the machine a benchmark ran on, for its conditions: other work skews every figure. */
import { availableParallelism, loadavg } from 'node:os';

export function machineNote(): string {
  return `${availableParallelism()} cores, 1-min load average ${loadavg()[0].toFixed(2)} at the end of the run`;
}

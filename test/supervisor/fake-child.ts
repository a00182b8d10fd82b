/**
 * Deterministic children for supervisor tests: each start creates a new incarnation named
 * `<name>#<n>`, and every start and exit is written to one shared transcript, so a test can assert
 * exactly what was stopped and started, and in which order.
 */
import type { ChildHandle, ChildSpec, ChildType, RestartType, ShutdownPolicy } from '../../src/supervisor/child.js';
import type { ChildInfo } from '../../src/supervisor/supervisor.js';
import { formatExitReason, type ExitReason } from '../../src/supervisor/exit-reason.js';
import type { ManualClock } from './manual-clock.js';

/**
 * How a child reacts to a `shutdown` exit signal: `exit` ends at once (a process not trapping
 * exits); `hang` never ends by itself (a trapping process that ignores it); `{ delayMs }` ends after
 * a cleanup of that many milliseconds. `kill` always ends it at once.
 */
export type OnShutdown = 'exit' | 'hang' | { delayMs: number };

export interface FakeOptions {
  restart?: RestartType;
  shutdown?: ShutdownPolicy;
  type?: ChildType;
  onShutdown?: OnShutdown;
}

export class FakeChild implements ChildHandle {
  private reason: ExitReason | undefined;
  private readonly listeners: Array<(reason: ExitReason) => void> = [];

  constructor(
    readonly id: string,
    private readonly world: FakeWorld,
    private readonly onShutdown: OnShutdown,
  ) {}

  get alive(): boolean {
    return this.reason === undefined;
  }

  exit(reason: ExitReason, _from: string): void {
    if (!this.alive) return;
    this.world.signals.push(`${this.id} <- ${formatExitReason(reason)}`);
    if (reason === 'kill') return this.end('killed');
    if (reason === 'normal') return;
    if (this.onShutdown === 'exit') return this.end(reason);
    if (this.onShutdown === 'hang') return;
    this.world.clock.startTimer(this.onShutdown.delayMs, () => this.end(reason));
  }

  onExit(listener: (reason: ExitReason) => void): void {
    if (this.reason !== undefined) listener(this.reason);
    else this.listeners.push(listener);
  }

  /** The child ends by itself with `reason` (returned normally, crashed, stopped cleanly). */
  end(reason: ExitReason): void {
    if (!this.alive) return;
    this.reason = reason;
    this.world.log.push(`exit ${this.id} ${formatExitReason(reason)}`);
    for (const listener of this.listeners.splice(0)) listener(reason);
  }
}

export class FakeWorld {
  /** `start a#1`, `exit a#1 shutdown`, `start-failed a` … in the order they happened. */
  readonly log: string[] = [];
  /** Exit signals received: `a#1 <- shutdown`. */
  readonly signals: string[] = [];
  private readonly incarnations = new Map<string, number>();
  private readonly latest = new Map<string, FakeChild>();
  private readonly failingStarts = new Map<string, number>();

  constructor(readonly clock: ManualClock) {}

  /** A static child spec whose starts create incarnations of `name`. */
  spec(name: string, options: FakeOptions = {}): ChildSpec {
    return { ...specFields(options), id: name, start: () => this.start(name, options.onShutdown ?? 'exit') };
  }

  /** A simple_one_for_one template: `startChild([name])` creates incarnations of `name`. */
  template(options: FakeOptions = {}): ChildSpec<[string]> {
    return { ...specFields(options), id: 'template', start: (name) => this.start(name, options.onShutdown ?? 'exit') };
  }

  /** The latest incarnation of `name`. */
  child(name: string): FakeChild {
    const child = this.latest.get(name);
    if (!child) throw new Error(`${name} was never started`);
    return child;
  }

  /** The next `count` starts of `name` throw. */
  failStarts(name: string, count: number): void {
    this.failingStarts.set(name, count);
  }

  /** Takes the transcript so far, so the next assertion sees only what follows. */
  takeLog(): string[] {
    return this.log.splice(0);
  }

  private start(name: string, onShutdown: OnShutdown): FakeChild {
    const failures = this.failingStarts.get(name) ?? 0;
    if (failures > 0) {
      this.failingStarts.set(name, failures - 1);
      this.log.push(`start-failed ${name}`);
      throw new Error(`${name} refused to start`);
    }
    const n = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, n);
    const child = new FakeChild(`${name}#${n}`, this, onShutdown);
    this.latest.set(name, child);
    this.log.push(`start ${child.id}`);
    return child;
  }
}

function specFields(options: FakeOptions): Pick<ChildSpec, 'restart' | 'shutdown' | 'type'> {
  const fields: Pick<ChildSpec, 'restart' | 'shutdown' | 'type'> = {};
  if (options.restart) fields.restart = options.restart;
  if (options.shutdown !== undefined) fields.shutdown = options.shutdown;
  if (options.type) fields.type = options.type;
  return fields;
}

/**
 * whichChildren as `name:incarnation` (named after the running fake, so dynamic children read as
 * their names), `id:-` for a kept spec that is not running, `id:restarting` while retrying.
 */
export function summarize(children: readonly ChildInfo[]): string[] {
  return children.map(({ id, child }) => {
    if (child === undefined) return `${id}:-`;
    if (child === 'restarting') return `${id}:restarting`;
    const [name, n] = child.id.split('#');
    return `${name}:${n}`;
  });
}

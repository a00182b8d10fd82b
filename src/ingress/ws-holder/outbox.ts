/**
 * Messages for the other end of an IPC channel, sent together once per event-loop turn. Each IPC
 * message costs a serializer, a write and a wake-up of the other process; a holder relaying 32 busy
 * sockets' messages one by one halved the node's message throughput on 2 cores
 * (docs/decisions.md, "WebSocket holder processes"). A turn adds no measurable latency.
 */
export interface Batch<M> {
  t: 'batch';
  messages: M[];
}

export class Outbox<M extends { t: string }> {
  private pending: M[] = [];

  /** `write` sends one message or a batch; `extra`, if given, adds what rides along with a flush. */
  constructor(
    private readonly write: (m: M | Batch<M>) => void,
    private readonly extra: () => M | null = () => null,
  ) {}

  post(m: M): void {
    if (this.pending.push(m) === 1) setImmediate(() => this.flush());
  }

  /** Sends what waits now (before a message that must not overtake it, such as one carrying a handle). */
  flush(): void {
    const extra = this.extra();
    if (extra) this.pending.push(extra);
    const messages = this.pending;
    if (messages.length === 0) return;
    this.pending = [];
    this.write(messages.length === 1 ? messages[0] : { t: 'batch', messages });
  }
}

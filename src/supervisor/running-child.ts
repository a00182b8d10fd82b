/**
 * A started child as its supervisor tracks it: the handle, and how it ended once it has. The end is
 * both a promise (so a shutdown can wait for this particular child, like OTP's selective receive of
 * the child's 'DOWN') and a callback (so the supervisor can queue the event in its mailbox).
 */
import type { ChildHandle } from './child.js';
import type { ExitReason } from './exit-reason.js';

export class RunningChild {
  readonly handle: ChildHandle;
  readonly exited: Promise<ExitReason>;
  private reason: ExitReason | undefined;

  constructor(handle: ChildHandle, onEnd: (child: RunningChild, reason: ExitReason) => void) {
    this.handle = handle;
    this.exited = new Promise((resolve) => {
      handle.onExit((reason) => {
        // A child that reports twice is misbehaving; the first report is the one that counts.
        if (this.reason !== undefined) return;
        this.reason = reason;
        resolve(reason);
        onEnd(this, reason);
      });
    });
  }

  get alive(): boolean {
    return this.reason === undefined;
  }
}

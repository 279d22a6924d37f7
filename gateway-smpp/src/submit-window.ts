/**
 * The window: at most `size` submit_sm unanswered on a bind. Callers beyond it wait in a
 * bounded FIFO queue; when that is full they are refused at once (OTP_OVERLOADED) so that a
 * surge turns into back-pressure instead of unbounded memory.
 */
import { OtpError } from "@domain/errors";

export interface SubmitWindow {
  /** Resolves with a release function once a slot is free. */
  acquire(): Promise<() => void>;
  readonly inUse: number;
  readonly queued: number;
  /** Refuses every queued caller (e.g. on close). */
  rejectQueued(error: Error): void;
}

export function createSubmitWindow(size: number, maxQueued: number): SubmitWindow {
  let inUse = 0;
  const waiters: Array<{ grant: () => void; reject: (err: Error) => void }> = [];

  const release = (): void => {
    const next = waiters.shift();
    if (next === undefined) inUse--;
    else next.grant();
  };
  const releaseOnce = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };

  return {
    acquire() {
      if (inUse < size) {
        inUse++;
        return Promise.resolve(releaseOnce());
      }
      if (waiters.length >= maxQueued) {
        return Promise.reject(new OtpError("OTP_OVERLOADED", "SMPP submit queue is full"));
      }
      return new Promise((resolve, reject) => {
        waiters.push({ grant: () => resolve(releaseOnce()), reject });
      });
    },
    get inUse() {
      return inUse;
    },
    get queued() {
      return waiters.length;
    },
    rejectQueued(error) {
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    },
  };
}

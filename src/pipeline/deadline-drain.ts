// Shutdown with a deadline, as the exporter helper and the notification queue both do it: what is
// queued or under way may finish until the deadline; then the owner drops and counts the rest, and
// `signal` cuts the requests and retry waits still running. The deadline is in the scheduler's time,
// the one clock the retries and timeouts run on, so virtual-time tests control it like the rest.
import type { SchedulerLike } from 'rxjs';
import { RetryableError } from './errors.js';

export interface DrainOwner {
  isIdle(): boolean;
  /** Runs at the deadline if work is left, just before `signal` fires. */
  dropRemaining(): void;
  /** Who is shutting down, for the error the cut requests fail with ("exporter", "notifier"). */
  name: string;
}

export class DeadlineDrain {
  private readonly deadline = new AbortController();
  private stopping: Promise<void> | undefined;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly owner: DrainOwner,
  ) {}

  /** Fires at the shutdown deadline. */
  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  get started(): boolean {
    return this.stopping !== undefined;
  }

  /** Resolves once idle (or at `deadline`, in scheduler.now() time) and `close` has run; the same promise on every call. */
  shutdown(deadline: number, close?: () => Promise<void>): Promise<void> {
    this.stopping ??= this.drain(deadline, close);
    return this.stopping;
  }

  /** The owner calls this whenever work finishes. */
  checkIdle(): void {
    if (this.onIdle && this.owner.isIdle()) {
      const resolve = this.onIdle;
      this.onIdle = undefined;
      resolve();
    }
  }

  private async drain(deadline: number, close?: () => Promise<void>): Promise<void> {
    const timer = this.scheduler.schedule(() => {
      this.owner.dropRemaining();
      this.deadline.abort(new RetryableError(`${this.owner.name} shut down before the request completed`));
    }, Math.max(0, deadline - this.scheduler.now()));
    await new Promise<void>((resolve) => {
      this.onIdle = resolve;
      this.checkIdle();
    });
    timer.unsubscribe();
    await close?.();
  }
}

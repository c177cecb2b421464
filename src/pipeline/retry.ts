// Exponential back-off with jitter, waiting on an RxJS scheduler so retries run on virtual time in
// tests, and the retry loop that the exporter helper and the alert notifiers share.
import type { SchedulerLike, Subscription } from 'rxjs';
import { isRetryable, retryAfterOf, RetryableError } from './errors.js';

export interface BackoffSettings {
  initial_interval: number;
  max_interval: number;
  multiplier: number;
  /** The jittered delay lies within ±factor of the current interval. */
  randomization_factor: number;
}

/**
 * The sequence the Collector's retry sender produces: each delay is the current interval with
 * jitter, and the interval grows by `multiplier` up to `max_interval` (the cap applies before jitter).
 */
export class ExponentialBackoff {
  private interval: number;

  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {
    this.interval = settings.initial_interval;
  }

  next(): number {
    const spread = this.settings.randomization_factor * this.interval;
    const delay = this.interval - spread + this.random() * 2 * spread;
    this.interval = Math.min(this.interval * this.settings.multiplier, this.settings.max_interval);
    return Math.round(delay);
  }
}

/** Resolves after `ms` of scheduler time; rejects with the abort reason if `abort` fires first. */
export function delay(scheduler: SchedulerLike, ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abort?.aborted) {
      reject(abort.reason);
      return;
    }
    let timer: Subscription | undefined;
    const onAbort = () => {
      timer?.unsubscribe();
      reject(abort!.reason);
    };
    abort?.addEventListener('abort', onAbort, { once: true });
    timer = scheduler.schedule(() => {
      abort?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
  });
}

/** A promise that rejects with the abort reason once `signal` fires (and never settles otherwise). */
export function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export interface RetrySettings extends BackoffSettings {
  enabled: boolean;
  /** 0 retries forever. */
  max_elapsed_time: number;
}

/** One item's sending, as the exporter helper and the notification queue both do it. */
export interface RetriedSend {
  retry: RetrySettings;
  /** Per attempt; 0 disables the timeout. */
  timeout: number;
  scheduler: SchedulerLike;
  /**
   * Fires at the shutdown deadline, cutting the request and retry wait under way; its reason becomes
   * the request's error. Whoever fires it accounts for what was still under way, so neither callback runs.
   */
  deadline: AbortSignal;
  send(abort: AbortSignal): Promise<void>;
  /** The failure is final: count and log it. */
  onGiveUp(error: Error, attempts: number, reason: string): void;
  onRetry(error: Error, attempt: number, waitMs: number): void;
}

/**
 * The Collector's retry sender: back-off (stretched to the receiver's Retry-After) until the send
 * succeeds, fails permanently or would outlast max_elapsed_time. Resolves with the final error, or
 * undefined once sent; never rejects.
 */
export async function sendWithRetry(r: RetriedSend): Promise<Error | undefined> {
  const backoff = r.retry.enabled ? new ExponentialBackoff(r.retry) : undefined;
  const started = r.scheduler.now();
  for (let attempt = 1; ; attempt++) {
    let error: Error;
    try {
      await attemptOnce(r);
      return undefined;
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    if (r.deadline.aborted) return error;
    const giveUp = (reason: string): Error => {
      r.onGiveUp(error, attempt, reason);
      return error;
    };
    if (!isRetryable(error)) return giveUp('not retryable');
    if (!backoff) return giveUp('retries disabled');
    const wait = Math.max(backoff.next(), retryAfterOf(error) ?? 0);
    if (r.retry.max_elapsed_time > 0 && r.scheduler.now() - started + wait > r.retry.max_elapsed_time) {
      return giveUp(`no more retries left (max_elapsed_time ${r.retry.max_elapsed_time}ms)`);
    }
    r.onRetry(error, attempt, wait);
    try {
      await delay(r.scheduler, wait, r.deadline);
    } catch {
      return error;
    }
  }
}

/** One request, cut short by the timeout or the deadline even if the sender ignores its AbortSignal. */
async function attemptOnce(r: RetriedSend): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort(r.deadline.reason);
  if (r.deadline.aborted) stop();
  else r.deadline.addEventListener('abort', stop, { once: true });
  let timer: Subscription | undefined;
  if (r.timeout > 0) timer = r.scheduler.schedule(() => abort.abort(new RetryableError(`request timed out after ${r.timeout}ms`)), r.timeout);
  try {
    // The race also covers senders (SMTP) that cannot be cancelled mid-request.
    await Promise.race([r.send(abort.signal), rejectOnAbort(abort.signal)]);
  } finally {
    timer?.unsubscribe();
    r.deadline.removeEventListener('abort', stop);
  }
}

// Exponential back-off with jitter, and waiting on an RxJS scheduler so retries run on virtual time in tests.
import type { SchedulerLike, Subscription } from 'rxjs';

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

// One notifier's outbox: a bounded FIFO drained by a single consumer that sends with retries, so
// a slow or unreachable receiver delays only its own notifications and never the caller. One
// consumer keeps a group's firing and resolved notifications in the order they were made.
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { BoundedQueue } from '../../pipeline/bounded-queue.js';
import { DeadlineDrain } from '../../pipeline/deadline-drain.js';
import { sendWithRetry, type RetrySettings } from '../../pipeline/retry.js';
import type { NotifierMetrics } from './metrics.js';

/** Encodes and sends one notification. Throws RetryableError / PermanentError; anything else is retried. */
export interface Integration<T> {
  send(value: T, abort: AbortSignal): Promise<void>;
  /** Releases connections once the queue is done. */
  close?(): Promise<void>;
}

export interface Delivery<T> {
  value: T;
  /** Runs exactly once: true when the receiver accepted it, false when it failed or was dropped. */
  settled?: (delivered: boolean) => void;
}

export interface DeliverySettings {
  queue_size: number;
  timeout: number;
  retry_on_failure: RetrySettings;
}

export class NotificationQueue<T> {
  private readonly queue: BoundedQueue<Delivery<T>>;
  private current: Delivery<T> | undefined;
  private readonly drain: DeadlineDrain;

  constructor(
    private readonly settings: DeliverySettings,
    private readonly integration: Integration<T>,
    private readonly scheduler: SchedulerLike,
    private readonly logger: Logger,
    private readonly metrics: NotifierMetrics,
  ) {
    this.queue = new BoundedQueue(settings.queue_size);
    this.drain = new DeadlineDrain(scheduler, { name: 'notifier', isIdle: () => !this.current && this.queue.size === 0, dropRemaining: () => this.dropRemaining() });
    metrics.observeQueue(() => this.size);
  }

  /** Waiting or being sent (or waiting to retry). */
  get size(): number {
    return this.queue.size + (this.current ? 1 : 0);
  }

  push(delivery: Delivery<T>): void {
    if (this.drain.started) {
      this.metrics.dropped('shutdown');
      delivery.settled?.(false);
      return;
    }
    if (!this.queue.push(delivery)) {
      // The newest notification describes the current state; the oldest is the most out of date.
      this.queue.shift()!.settled?.(false);
      this.queue.push(delivery);
      this.metrics.dropped('queue_full');
      this.logger.warn({ queue_size: this.queue.capacity }, 'Notification queue is full, dropped the oldest notification');
    }
    this.pump();
  }

  private pump(): void {
    if (this.current) return;
    const next = this.queue.shift();
    if (!next) {
      this.drain.checkIdle();
      return;
    }
    this.current = next;
    void this.deliver(next).then((ok) => {
      this.current = undefined;
      next.settled?.(ok);
      this.pump();
    });
  }

  /** Sends with retries; resolves true once accepted. Never rejects (failures are counted and logged here). */
  private async deliver(d: Delivery<T>): Promise<boolean> {
    const error = await sendWithRetry({
      retry: this.settings.retry_on_failure,
      timeout: this.settings.timeout,
      scheduler: this.scheduler,
      deadline: this.drain.signal,
      send: (abort) => this.integration.send(d.value, abort),
      onGiveUp: (err, attempts, reason) => {
        this.metrics.failed();
        this.logger.error({ error: err.message, attempts, reason }, 'Notification failed, dropping it');
      },
      // Warn once per notification; later attempts would repeat it for as long as the receiver is down.
      onRetry: (err, attempt, wait) => this.logger[attempt === 1 ? 'warn' : 'debug']({ error: err.message, attempt, interval_ms: wait }, 'Notification failed, will retry'),
    });
    if (!error) this.metrics.sent();
    return !error;
  }

  /** Sends what it can until `deadline` (epoch ms), then drops and counts the rest. */
  shutdown(deadline: number): Promise<void> {
    return this.drain.shutdown(deadline, async () => this.integration.close?.());
  }

  private dropRemaining(): void {
    const queued = this.queue.drain();
    for (const d of queued) d.settled?.(false);
    const left = queued.length + (this.current ? 1 : 0);
    if (left > 0) {
      this.metrics.dropped('shutdown', left);
      this.logger.error({ dropped_notifications: left }, 'Shutdown deadline reached, dropping notifications not yet sent');
    }
  }
}

// The exporter helper: the one place with queueing, retries and timeouts. An exporter supplies an
// ExportSender (encode and send one batch) and gets the Collector's `sending_queue`,
// `retry_on_failure` and `timeout` behaviour, its telemetry and its shutdown semantics.
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { s, type Infer } from '../config/schema.js';
import type { Signal, SignalData } from '../pdata/types.js';
import type { ExporterTelemetry } from '../telemetry/telemetry.js';
import type { CreateSettings, Exporter } from './component.js';
import type { Envelope, EnvelopeContext } from './envelope.js';
import { RetryableError } from './errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { DeadlineDrain } from './deadline-drain.js';
import { sendWithRetry } from './retry.js';

/** Fields to spread into an exporter's config schema; names and defaults are the Collector's. */
export const exporterHelperConfig = {
  /** Per attempt; 0 disables the timeout. */
  timeout: s.duration().default(5000),
  sending_queue: s.object({
    enabled: s.bool().default(true),
    num_consumers: s.int({ min: 1 }).default(10),
    /** In batches (requests), as the Collector counts by default. */
    queue_size: s.int({ min: 1 }).default(1000),
  }),
  retry_on_failure: s.object({
    enabled: s.bool().default(true),
    initial_interval: s.duration().default(5000),
    max_interval: s.duration().default(30_000),
    /** 0 retries forever. */
    max_elapsed_time: s.duration().default(300_000),
    multiplier: s.number({ min: 1 }).default(1.5),
    randomization_factor: s.number({ min: 0, max: 1 }).default(0.5),
  }),
};

const exporterHelperSchema = s.object(exporterHelperConfig);
export type ExporterHelperConfig = Infer<typeof exporterHelperSchema>;

/** The helper settings of an exporter that sends synchronously: no queue, no retries, no timeout. */
export const DIRECT_EXPORT: ExporterHelperConfig = {
  timeout: 0,
  sending_queue: { enabled: false, num_consumers: 1, queue_size: 1 },
  retry_on_failure: { enabled: false, initial_interval: 0, max_interval: 0, max_elapsed_time: 0, multiplier: 1, randomization_factor: 0 },
};

/** Encodes and sends one batch. Throws RetryableError / PermanentError; anything else counts as retryable. */
export interface ExportSender<S extends Signal> {
  send(data: SignalData[S], context: EnvelopeContext, abort: AbortSignal): Promise<void>;
  start?(): Promise<void>;
  /** Called once the queue has drained (or been dropped): release connections. */
  shutdown?(): Promise<void>;
}

interface Batch<S extends Signal> {
  data: SignalData[S];
  context: EnvelopeContext;
  items: number;
}

export function createExporter<S extends Signal>(
  settings: CreateSettings,
  signal: S,
  helper: ExporterHelperConfig,
  sender: ExportSender<S>,
): Exporter {
  return new HelperExporter(settings, signal, helper, sender);
}

class HelperExporter<S extends Signal> implements Exporter {
  readonly mutates = false;
  private readonly logger: Logger;
  private readonly scheduler: SchedulerLike;
  private readonly telemetry: ExporterTelemetry;
  private readonly queue: BoundedQueue<Batch<S>> | undefined;
  /** Batches being sent (or waiting to retry); at most num_consumers with a queue. */
  private readonly inFlight = new Set<Batch<S>>();
  private readonly drain: DeadlineDrain;

  constructor(
    settings: CreateSettings,
    private readonly signal: S,
    private readonly helper: ExporterHelperConfig,
    private readonly sender: ExportSender<S>,
  ) {
    this.logger = settings.logger;
    this.scheduler = settings.scheduler;
    this.telemetry = settings.telemetry.exporter(settings.id, signal);
    this.drain = new DeadlineDrain(this.scheduler, { name: 'exporter', isIdle: () => this.inFlight.size === 0 && (this.queue?.size ?? 0) === 0, dropRemaining: () => this.dropRemaining() });
    if (helper.sending_queue.enabled) {
      const queue = new BoundedQueue<Batch<S>>(helper.sending_queue.queue_size);
      this.queue = queue;
      this.telemetry.observeQueue(() => queue.size, queue.capacity);
    }
  }

  async start(): Promise<void> {
    await this.sender.start?.();
  }

  consume(envelope: Envelope): void {
    const batch: Batch<S> = { data: envelope.data as SignalData[S], context: envelope.context, items: envelope.items };
    if (this.drain.started) {
      this.telemetry.enqueueFailed(batch.items);
      envelope.nack(new RetryableError('exporter is shutting down'));
      return;
    }
    if (!this.queue) {
      this.inFlight.add(batch);
      void this.export(batch, 'rejecting data').then((err) => {
        this.inFlight.delete(batch);
        if (err) envelope.nack(err);
        else envelope.ack();
        this.drain.checkIdle();
      });
      return;
    }
    if (!this.queue.push(batch)) {
      this.telemetry.enqueueFailed(batch.items);
      envelope.nack(new RetryableError('sending queue is full'));
      return;
    }
    // Accepted into the queue is what an ack means in the pipeline contract.
    envelope.ack();
    this.dispatch();
  }

  /** Hands queued batches to free consumers; runs on every enqueue and every finished send. */
  private dispatch(): void {
    const queue = this.queue!;
    while (this.inFlight.size < this.helper.sending_queue.num_consumers && queue.size > 0) {
      const batch = queue.shift()!;
      this.inFlight.add(batch);
      // With a queue the failure is final here: export() has counted and logged it.
      void this.export(batch, 'dropping data').then(() => {
        this.inFlight.delete(batch);
        this.dispatch();
        this.drain.checkIdle();
      });
    }
  }

  /** Sends with retries; resolves with the final error, or undefined once sent. Never rejects. */
  private async export(batch: Batch<S>, onFailure: string): Promise<Error | undefined> {
    const error = await sendWithRetry({
      retry: this.helper.retry_on_failure,
      timeout: this.helper.timeout,
      scheduler: this.scheduler,
      deadline: this.drain.signal,
      send: (abort) => this.sender.send(batch.data, batch.context, abort),
      onGiveUp: (err, attempts, reason) => {
        this.telemetry.sendFailed(batch.items);
        this.logger.error({ error: err.message, items: batch.items, attempts, reason }, `Exporting failed, ${onFailure}`);
      },
      // The first retry of a batch is worth a warning; later ones would repeat it for as long as the backend is down.
      onRetry: (err, attempt, wait) => this.logger[attempt === 1 ? 'warn' : 'debug']({ error: err.message, items: batch.items, attempt, interval_ms: wait }, 'Exporting failed, will retry'),
    });
    if (!error) this.telemetry.sent(batch.items);
    return error;
  }

  /** Lets consumers empty the queue until the deadline (in scheduler.now() time), then drops what is left. */
  shutdown(deadline: number): Promise<void> {
    return this.drain.shutdown(deadline, async () => this.sender.shutdown?.());
  }

  private dropRemaining(): void {
    const queued = this.queue?.drain() ?? [];
    let items = 0;
    for (const b of queued) items += b.items;
    for (const b of this.inFlight) items += b.items;
    if (items > 0) {
      this.telemetry.sendFailed(items);
      if (this.queue) {
        this.logger.error({ dropped_items: items, signal: this.signal }, 'Shutdown deadline reached, dropping data still in the sending queue');
      } else {
        this.logger.warn({ refused_items: items, signal: this.signal }, 'Shutdown deadline reached, returning in-flight data to the caller as retryable');
      }
    }
  }
}

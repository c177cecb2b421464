// The exporter helper: the one place with queueing, retries and timeouts. An exporter supplies an
// ExportSender (encode a batch into requests, send one request) and gets the Collector's
// `sending_queue`, `retry_on_failure` and `timeout` behaviour, resuming a split batch where it
// failed, its telemetry, its component status and its shutdown semantics.
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { s, type Infer } from '../config/schema.js';
import type { Signal, SignalData } from '../pdata/types.js';
import type { ExporterTelemetry } from '../telemetry/telemetry.js';
import type { CreateSettings, Exporter, HealthStatus } from './component.js';
import type { Envelope, EnvelopeContext } from './envelope.js';
import { isRetryable, PermanentError, RetryableError } from './errors.js';
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

/**
 * How an exporter delivers a batch. With `encode`, the batch goes as the requests it returns (one
 * per tenant, per resource, per size limit): the helper keeps them with the queued batch, with the
 * index of the first one not yet accepted, so a retry resumes at the request that failed, accepted
 * requests are never sent twice (the backend would store them twice), and one refused for good
 * does not hold back the ones after it. Without `encode` the batch itself is the one request.
 */
export interface ExportSender<S extends Signal, R = SignalData[S]> {
  /**
   * The requests that carry one batch, in order; none when there is nothing to send. Runs once per
   * batch, not per attempt, so a stateful translation (cumulative to delta) happens once and retries
   * re-send the same bytes. A throw refuses the batch for good: what cannot be encoded now never will be.
   */
  encode?(data: SignalData[S], context: EnvelopeContext): R[] | Promise<R[]>;
  /** Sends one request. Throws RetryableError / PermanentError; anything else counts as retryable. */
  send(request: R, context: EnvelopeContext, abort: AbortSignal): Promise<void>;
  /** The items (or the nearest countable unit) a request carries, to count a refusal; without it a refusal counts the whole batch. */
  itemsOf?(request: R): number;
  start?(): Promise<void>;
  /** Called once the queue has drained (or been dropped): release connections. */
  shutdown?(): Promise<void>;
}

/** A sender that encodes its requests itself; their type is then its own. */
export type EncodingSender<S extends Signal, R> = ExportSender<S, R> & Required<Pick<ExportSender<S, R>, 'encode'>>;

/** A queued batch and how far its sending has got: the progress belongs to this record, never to the data object, which may be queued twice. */
interface Batch<S extends Signal, R> {
  data: SignalData[S];
  context: EnvelopeContext;
  items: number;
  /** Made at the first attempt; kept as the promise so an attempt cut short while encoding does not encode again. */
  encoding?: Promise<R[]>;
  requests?: R[];
  /** Index of the first request neither accepted nor refused. */
  next: number;
  refusedItems: number;
  refusal?: Error;
}

export function createExporter<S extends Signal>(settings: CreateSettings, signal: S, helper: ExporterHelperConfig, sender: ExportSender<S>): Exporter;
export function createExporter<S extends Signal, R>(settings: CreateSettings, signal: S, helper: ExporterHelperConfig, sender: EncodingSender<S, R>): Exporter;
export function createExporter<S extends Signal, R>(settings: CreateSettings, signal: S, helper: ExporterHelperConfig, sender: ExportSender<S, R>): Exporter {
  return new HelperExporter(settings, signal, helper, sender);
}

class HelperExporter<S extends Signal, R> implements Exporter {
  readonly mutates = false;
  private readonly logger: Logger;
  private readonly scheduler: SchedulerLike;
  private readonly telemetry: ExporterTelemetry;
  private readonly queue: BoundedQueue<Batch<S, R>> | undefined;
  /** Batches being sent (or waiting to retry); at most num_consumers with a queue. */
  private readonly inFlight = new Set<Batch<S, R>>();
  private readonly drain: DeadlineDrain;
  private readonly reportStatus: CreateSettings['reportStatus'];
  /** What this exporter last told the service of its health: the service starts it as ok. */
  private status: HealthStatus = 'ok';

  constructor(
    settings: CreateSettings,
    private readonly signal: S,
    private readonly helper: ExporterHelperConfig,
    private readonly sender: ExportSender<S, R>,
  ) {
    this.logger = settings.logger;
    this.reportStatus = settings.reportStatus;
    this.scheduler = settings.scheduler;
    this.telemetry = settings.telemetry.exporter(settings.id, signal);
    this.drain = new DeadlineDrain(this.scheduler, { name: 'exporter', isIdle: () => this.inFlight.size === 0 && (this.queue?.size ?? 0) === 0, dropRemaining: () => this.dropRemaining() });
    if (helper.sending_queue.enabled) {
      const queue = new BoundedQueue<Batch<S, R>>(helper.sending_queue.queue_size);
      this.queue = queue;
      this.telemetry.observeQueue(() => queue.size, queue.capacity);
    }
  }

  async start(): Promise<void> {
    await this.sender.start?.();
  }

  consume(envelope: Envelope): void {
    const batch: Batch<S, R> = { data: envelope.data as SignalData[S], context: envelope.context, items: envelope.items, next: 0, refusedItems: 0 };
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
  private async export(batch: Batch<S, R>, onFailure: string): Promise<Error | undefined> {
    const error = await sendWithRetry({
      retry: this.helper.retry_on_failure,
      timeout: this.helper.timeout,
      scheduler: this.scheduler,
      deadline: this.drain.signal,
      send: (abort) => this.sendRemaining(batch, abort),
      onGiveUp: (err, attempts, reason) => {
        const failed = this.unsentItems(batch);
        this.telemetry.sendFailed(failed);
        this.telemetry.sent(batch.items - failed);
        this.health(isRetryable(err) ? 'recoverable_error' : 'permanent_error', err);
        this.logger.error({ error: err.message, items: failed, attempts, reason }, `Exporting failed, ${onFailure}`);
      },
      onRetry: (err, attempt, wait) => {
        this.health('recoverable_error', err);
        // The first retry of a batch is worth a warning; later ones would repeat it for as long as the backend is down.
        this.logger[attempt === 1 ? 'warn' : 'debug']({ error: err.message, items: batch.items, attempt, interval_ms: wait }, 'Exporting failed, will retry');
      },
    });
    if (!error) {
      this.telemetry.sent(batch.items);
      this.health('ok');
    }
    return error;
  }

  /** One attempt: the requests from the first one not yet accepted, in order. */
  private async sendRemaining(batch: Batch<S, R>, abort: AbortSignal): Promise<void> {
    batch.encoding ??= this.encode(batch);
    const requests = (batch.requests = await batch.encoding);
    while (batch.next < requests.length) {
      // An attempt cut short by its timeout may still be running when the retry starts: it stops
      // here, and only the first to finish a request moves the index past it.
      if (abort.aborted) throw abort.reason;
      const index = batch.next;
      const request = requests[index]!;
      try {
        await this.sender.send(request, batch.context, abort);
      } catch (err) {
        if (isRetryable(err)) throw err;
        if (batch.next === index) {
          batch.refusedItems += (err as PermanentError).rejectedItems ?? this.itemsOf(batch, request);
          batch.refusal ??= err as Error;
        }
      }
      batch.next = Math.max(batch.next, index + 1);
    }
    if (batch.refusal) throw new PermanentError(batch.refusal.message, Math.min(batch.refusedItems, batch.items));
  }

  private async encode(batch: Batch<S, R>): Promise<R[]> {
    if (!this.sender.encode) return [batch.data as R];
    try {
      return await this.sender.encode(batch.data, batch.context);
    } catch (err) {
      throw new PermanentError(`cannot encode ${this.signal}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private itemsOf(batch: Batch<S, R>, request: R): number {
    return this.sender.itemsOf?.(request) ?? batch.items;
  }

  /** Items of a batch not accepted by the backend: refused, or in requests not sent yet. */
  private unsentItems(batch: Batch<S, R>): number {
    if (!batch.requests) return batch.items;
    let items = batch.refusedItems;
    for (let i = batch.next; i < batch.requests.length; i++) items += this.itemsOf(batch, batch.requests[i]!);
    return Math.min(items, batch.items);
  }

  /**
   * Reports a change of health as the Collector's component status model has it: recoverable while
   * sends fail and are retried, permanent once data is refused, ok again at the next success. Once
   * shutting down the service's stopping/stopped statuses are the ones that count.
   */
  private health(status: HealthStatus, error?: Error): void {
    if (status === this.status || this.drain.started) return;
    this.status = status;
    this.reportStatus(status, error?.message);
  }

  /** Lets consumers empty the queue until the deadline (in scheduler.now() time), then drops what is left. */
  shutdown(deadline: number): Promise<void> {
    return this.drain.shutdown(deadline, async () => this.sender.shutdown?.());
  }

  private dropRemaining(): void {
    const queued = this.queue?.drain() ?? [];
    let items = 0;
    for (const b of queued) items += b.items;
    for (const b of this.inFlight) {
      const unsent = this.unsentItems(b);
      // What the backend accepted before the deadline was sent, even if the rest of its batch was not.
      this.telemetry.sent(b.items - unsent);
      items += unsent;
    }
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

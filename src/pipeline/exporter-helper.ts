// The exporter helper: the one place with queueing, batching, retries and timeouts. An exporter
// supplies an ExportSender (encode a batch into requests, send one request) and gets the
// Collector's `sending_queue` (in memory or in a storage extension, answering clients at enqueue
// unless `wait_for_result`, batching inside the queue), `retry_on_failure` and `timeout`,
// resuming a split batch where it failed, its telemetry, its component status and its shutdown.
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { s, type Infer } from '../config/schema.js';
import type { Signal, SignalData } from '../pdata/types.js';
import type { ExporterTelemetry } from '../telemetry/telemetry.js';
import type { CreateSettings, Exporter, HealthStatus } from './component.js';
import type { Envelope, EnvelopeContext, Settler } from './envelope.js';
import { isRetryable, PermanentError, RetryableError, withoutItemCount } from './errors.js';
import { DeadlineDrain } from './deadline-drain.js';
import { sendWithRetry } from './retry.js';
import { isStorageExtension } from './queue-store.js';
import { MemorySendingQueue, PersistentSendingQueue, type QueuedRequest, type QueueTicket, type SendingQueue } from './sending-queue.js';
import { QueueBatcher, type BatchedRequest, type PieceEncoder, type ReadyBatch } from './queue-batcher.js';
import type { QueueBatchConfig } from './queue-batch-config.js';

const queueBatchSchema = s.object({
  flush_timeout: s.duration().default(200),
  min_size: s.int({ min: 0 }).default(8192),
  max_size: s.int({ min: 0 }).default(0),
  sizer: s.enum(['items', 'bytes', 'requests'] as const).default('items'),
});

/** `sending_queue` as the Collector's exporterhelper has it; every default is the Collector's. */
export const sendingQueueSchema = s.object({
  enabled: s.bool().default(true),
  num_consumers: s.int({ min: 1 }).default(10),
  /** In `sizer` units. */
  queue_size: s.int({ min: 1 }).default(1000),
  sizer: s.enum(['requests', 'items', 'bytes'] as const).default('requests'),
  /** Answer the client after export instead of at enqueue. */
  wait_for_result: s.bool().default(false),
  /** A full queue makes the client wait for room instead of refusing it. */
  block_on_overflow: s.bool().default(false),
  /** Id of a storage extension (file_storage) that makes the queue persistent. */
  storage: s.string().optional(),
  batch: queueBatchSchema.optional(),
});

/** Fields to spread into an exporter's config schema; names and defaults are the Collector's. */
export const exporterHelperConfig = {
  /** Per attempt; 0 disables the timeout. */
  timeout: s.duration().default(5000),
  sending_queue: sendingQueueSchema,
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
export type SendingQueueConfig = ExporterHelperConfig['sending_queue'];

/** The sending_queue of a config section that spells only some of its keys (prometheusremotewrite's remote_write_queue). */
export function sendingQueueWith(keys: Partial<SendingQueueConfig>): SendingQueueConfig {
  return { ...sendingQueueSchema.parse({}, { issues: [] })!, ...keys };
}

/** The helper settings of an exporter that sends synchronously: no queue, no retries, no timeout. */
export const DIRECT_EXPORT: ExporterHelperConfig = {
  timeout: 0,
  sending_queue: sendingQueueWith({ enabled: false, num_consumers: 1, queue_size: 1 }),
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
  /**
   * For requests that concatenate (protobuf whose top level is repeated fields, as OTLP's): joins
   * the encodings of several batches into the encoding of their merge. With it, and an `encode`
   * that returns one request synchronously, the queue batcher encodes each request as it joins a
   * batch, so no flush blocks the event loop for a whole batch's encoding.
   */
  join?(requests: R[]): R;
  /** For a sender whose request is the OTLP protobuf of its batch: that request from OTLP bytes a persistent queue stored, without decoding and encoding them again. */
  fromOtlp?(otlp: Uint8Array): R;
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

/** One export unit and how far its sending has got: the progress belongs to this record, never to the data object, which may be queued twice. */
interface Batch<S extends Signal, R> {
  /** Absent when the batcher encoded its pieces on their way in: `encoding` is then their join. */
  data?: SignalData[S];
  context: EnvelopeContext;
  items: number;
  /** Made at the first attempt; kept as the promise so an attempt cut short while encoding does not encode again. */
  encoding?: Promise<R[]>;
  requests?: R[];
  /** Index of the first request neither accepted nor refused. */
  next: number;
  refusedItems: number;
  refusal?: Error;
  /** The queued requests this batch carries (pieces of); none when sent without a queue. */
  parts: BatchedRequest[];
}

export function createExporter<S extends Signal>(settings: CreateSettings, signal: S, helper: ExporterHelperConfig, sender: ExportSender<S>): Exporter;
export function createExporter<S extends Signal, R>(settings: CreateSettings, signal: S, helper: ExporterHelperConfig, sender: EncodingSender<S, R>): Exporter;
export function createExporter<S extends Signal, R>(settings: CreateSettings, signal: S, helper: ExporterHelperConfig, sender: ExportSender<S, R>): Exporter {
  return new HelperExporter(settings, signal, helper, sender);
}

/** A client waiting for room in a full queue (`block_on_overflow`). */
interface Blocked<S extends Signal> {
  request: QueuedRequest<S>;
  envelope: Envelope;
}

class HelperExporter<S extends Signal, R> implements Exporter {
  readonly mutates = false;
  readonly answersAtEnqueue: boolean;
  private readonly logger: Logger;
  private readonly scheduler: SchedulerLike;
  private readonly telemetry: ExporterTelemetry;
  private queue: SendingQueue<S> | undefined;
  private readonly batcher: QueueBatcher<S, R> | undefined;
  /** Whether a request's received OTLP encoding is kept with it (see Envelope.otlp). */
  private readonly takesOtlp: boolean;
  /** Batches being sent (or waiting to retry); at most num_consumers with a queue. */
  private readonly inFlight = new Set<Batch<S, R>>();
  /** Offers to a persistent queue not yet durable: shutdown waits for them. */
  private offering = 0;
  private readonly blocked: Blocked<S>[] = [];
  /** Set once the queue is closed (idle at shutdown, or at the deadline): finished sends no longer touch it. */
  private closing: Promise<{ items: number; kept: boolean }> | undefined;
  private readonly drain: DeadlineDrain;
  private readonly reportStatus: CreateSettings['reportStatus'];
  /** What this exporter last told the service of its health: the service starts it as ok. */
  private status: HealthStatus = 'ok';

  constructor(
    private readonly settings: CreateSettings,
    private readonly signal: S,
    private readonly helper: ExporterHelperConfig,
    private readonly sender: ExportSender<S, R>,
  ) {
    this.logger = settings.logger;
    this.reportStatus = settings.reportStatus;
    this.scheduler = settings.scheduler;
    this.telemetry = settings.telemetry.exporter(settings.id, signal);
    const q = helper.sending_queue;
    this.answersAtEnqueue = q.enabled && !q.wait_for_result;
    this.drain = new DeadlineDrain(this.scheduler, {
      name: 'exporter',
      isIdle: () => this.inFlight.size === 0 && this.offering === 0 && (this.closing !== undefined || ((this.queue?.size ?? 0) === 0 && (this.batcher?.empty ?? true))),
      dropRemaining: () => void this.dropRemaining(),
    });
    // A pipeline's batch processor keeps batching for an exporter that answers after export, so
    // its batching is not taken over here: that would hold every request for two timeouts.
    const batch: QueueBatchConfig | undefined = q.batch ?? (this.answersAtEnqueue ? settings.queueBatch : undefined);
    if (q.enabled && batch) this.batcher = new QueueBatcher<S, R>(signal, batch, this.scheduler, () => this.dispatch(), this.pieceEncoder());
    if (q.enabled && !q.storage) this.useQueue(new MemorySendingQueue(q.queue_size, q.sizer, this.sendsOtlpAsIs() ? signal : undefined));
    // A persistent queue stores OTLP whatever the sender; otherwise the bytes are of use only where they are sent as they are.
    this.takesOtlp = q.enabled ? q.storage !== undefined || this.sendsOtlpAsIs() : this.sender.fromOtlp !== undefined;
  }

  private useQueue(queue: SendingQueue<S>): void {
    this.queue = queue;
    this.telemetry.observeQueue(() => queue.size, queue.capacity);
  }

  async start(): Promise<void> {
    const q = this.helper.sending_queue;
    if (q.enabled && q.storage) {
      const extension = this.settings.extension(q.storage);
      if (!extension) throw new Error(`sending_queue.storage: extension "${q.storage}" is not enabled in service.extensions`);
      if (!isStorageExtension(extension)) throw new Error(`sending_queue.storage: extension "${q.storage}" is not a storage extension (use file_storage)`);
      const store = await extension.openQueue(`${this.settings.kind}/${this.settings.id}/${this.signal}`);
      this.useQueue(new PersistentSendingQueue(q.queue_size, q.sizer, this.signal, store, this.sendsOtlpAsIs()));
      if (store.available > 0) this.logger.info({ items: store.items, requests: store.available, signal: this.signal }, 'sending queue has data from before the restart; sending it');
    }
    await this.sender.start?.();
    if (this.queue) this.dispatch();
  }

  consume(envelope: Envelope): void {
    const request: QueuedRequest<S> = { data: envelope.data as SignalData[S], context: envelope.context, items: envelope.items, bytes: envelope.bytes, otlp: this.takesOtlp ? envelope.otlp : undefined };
    if (this.drain.started) {
      this.telemetry.enqueueFailed(request.items);
      envelope.nack(new RetryableError('exporter is shutting down'));
      return;
    }
    if (!this.queue) {
      const batch: Batch<S, R> = { data: request.data, context: request.context, items: request.items, next: 0, refusedItems: 0, parts: [] };
      if (request.otlp && this.sender.fromOtlp) batch.encoding = Promise.resolve([this.sender.fromOtlp(request.otlp)]);
      this.inFlight.add(batch);
      void this.export(batch, 'rejecting data').then((err) => {
        this.inFlight.delete(batch);
        if (err) envelope.nack(err);
        else envelope.ack();
        this.drain.checkIdle();
      });
      return;
    }
    if (this.helper.sending_queue.wait_for_result) request.settler = envelope;
    if (this.helper.sending_queue.block_on_overflow && (this.blocked.length > 0 || !this.queue.fits(request))) {
      // Waiting its turn behind earlier blocked clients keeps the queue's order.
      this.blocked.push({ request, envelope });
      return;
    }
    this.offer(request, envelope);
  }

  private offer(request: QueuedRequest<S>, envelope: Envelope): void {
    let durable: Promise<void> | void;
    try {
      durable = this.queue!.offer(request);
    } catch (err) {
      this.refuse(request, envelope, err as Error);
      return;
    }
    if (!durable) {
      this.queued(request, envelope);
      return;
    }
    this.offering++;
    durable.then(
      () => {
        this.offering--;
        this.queued(request, envelope);
      },
      (err: Error) => {
        this.offering--;
        this.refuse(request, envelope, err);
        this.drain.checkIdle();
      },
    );
  }

  private queued(request: QueuedRequest<S>, envelope: Envelope): void {
    // Accepted into the queue (durably, with storage) is what an ack means in the pipeline contract.
    if (!request.settler) envelope.ack();
    this.dispatch();
    this.drain.checkIdle();
  }

  private refuse(request: QueuedRequest<S>, envelope: Envelope, err: Error): void {
    this.telemetry.enqueueFailed(request.items);
    // A queue's own trouble (disk, I/O) may pass; data it can never take (unencodable) is refused for good.
    envelope.nack(err instanceof PermanentError || isRetryable(err) ? err : new RetryableError(`sending queue: ${err.message}`));
  }

  /** Lets blocked clients in as far as the queue has room again. */
  private admitBlocked(): void {
    while (this.blocked.length > 0 && this.queue!.fits(this.blocked[0]!.request)) {
      const { request, envelope } = this.blocked.shift()!;
      this.offer(request, envelope);
    }
  }

  /** Hands queued batches to free consumers; runs on every enqueue, every finished send and every batch timeout. */
  private dispatch(): void {
    const queue = this.queue;
    if (!queue) return;
    while (this.inFlight.size < this.helper.sending_queue.num_consumers) {
      const ready = this.nextBatch(queue);
      if (!ready) break;
      const batch: Batch<S, R> = { data: ready.data, context: ready.context, items: ready.items, next: 0, refusedItems: 0, parts: ready.parts };
      if (ready.encoded) batch.encoding = Promise.resolve([ready.encoded.length === 1 ? ready.encoded[0]! : this.sender.join!(ready.encoded)]);
      this.inFlight.add(batch);
      // With a queue the failure is final here: export() has counted and logged it.
      void this.export(batch, 'dropping data').then((err) => {
        this.inFlight.delete(batch);
        this.finish(batch, err);
        this.dispatch();
        this.drain.checkIdle();
      });
    }
    // What consumers took made room for clients waiting on a full queue.
    if (this.blocked.length > 0) this.admitBlocked();
  }

  private nextBatch(queue: SendingQueue<S>): ReadyBatch<S, R> | undefined {
    if (!this.batcher) {
      const request = queue.take();
      if (!request) return undefined;
      const parts = [{ request, pieces: 1, cut: true }];
      if (request.otlp && this.sender.fromOtlp) return { encoded: [this.sender.fromOtlp(request.otlp)], context: request.context, items: request.items, bytes: request.bytes, parts };
      return { data: request.data, context: request.context, items: request.items, bytes: request.bytes, parts };
    }
    // Only as much as makes the next batch: a persistent queue's backlog stays on disk, not decoded in memory.
    for (;;) {
      const ready = this.batcher.next();
      if (ready) return ready;
      const request = queue.take();
      if (!request) break;
      this.batcher.add(request);
    }
    // Shutting down, nothing more will come to fill a batch up.
    if (this.drain.started) this.batcher.flush();
    return this.batcher.next();
  }

  /** Settles the queued requests whose last piece this batch carried. */
  private finish(batch: Batch<S, R>, error: Error | undefined): void {
    for (const part of batch.parts) {
      if (error) part.error ??= error;
      if (--part.pieces > 0 || !part.cut) continue;
      if (!this.closing) this.queue!.done(part.request);
      const settler: Settler | undefined = part.request.settler;
      if (!settler) continue;
      if (part.error) settler.nack(batch.parts.length > 1 ? withoutItemCount(part.error) : part.error);
      else settler.ack();
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
    batch.encoding ??= this.encode(batch.data!, batch.context);
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

  /** Whether queued requests go to the sender as OTLP bytes, their data unread (the batcher reads it only to split at a max_size). */
  private sendsOtlpAsIs(): boolean {
    return this.sender.fromOtlp !== undefined && (!this.batcher || this.batcher.keepsNoData);
  }

  /** Encodes a piece as it joins a batch, for a sender that can join them; a piece that cannot be is left to the whole batch's encode, which refuses it. */
  private pieceEncoder(): PieceEncoder<S, R> | undefined {
    const { encode, join } = this.sender;
    if (!encode || !join) return undefined;
    return (piece) => {
      // `data` is read only here: a stored request may decode it on that read.
      if (piece.otlp && this.sender.fromOtlp) return this.sender.fromOtlp(piece.otlp);
      try {
        const requests = encode.call(this.sender, piece.data, piece.context);
        return Array.isArray(requests) && requests.length === 1 ? requests[0] : undefined;
      } catch {
        return undefined;
      }
    };
  }

  private async encode(data: SignalData[S], context: EnvelopeContext): Promise<R[]> {
    if (!this.sender.encode) return [data as R];
    try {
      return await this.sender.encode(data, context);
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

  /** Lets consumers empty the queue until the deadline (in scheduler.now() time), then drops or keeps what is left. */
  shutdown(deadline: number): Promise<void> {
    for (const { request, envelope } of this.blocked.splice(0)) {
      this.telemetry.enqueueFailed(request.items);
      envelope.nack(new RetryableError('exporter is shutting down'));
    }
    const done = this.drain.shutdown(deadline, async () => {
      await this.closeQueue([]);
      await this.sender.shutdown?.();
    });
    // Now that the drain has started, the batcher sends what it holds without waiting to fill up.
    this.dispatch();
    return done;
  }

  /** Closes the queue once: what is still in it (and `taken`) is kept by a persistent queue, lost by a memory one. */
  private closeQueue(taken: readonly QueueTicket[]): Promise<{ items: number; kept: boolean }> {
    this.closing ??= this.queue ? this.queue.close(taken) : Promise.resolve({ items: 0, kept: false });
    return this.closing;
  }

  private async dropRemaining(): Promise<void> {
    const held = this.batcher?.takeAll() ?? [];
    const taken = new Set<QueueTicket>(held);
    let sent = 0;
    let unsent = 0;
    for (const b of this.inFlight) {
      const u = this.unsentItems(b);
      // What the backend accepted before the deadline was sent, even if the rest of its batch was not.
      sent += b.items - u;
      unsent += u;
      for (const part of b.parts) taken.add(part.request);
    }
    this.telemetry.sent(sent);
    if (!this.queue) {
      if (unsent > 0) {
        this.telemetry.sendFailed(unsent);
        this.logger.warn({ refused_items: unsent, signal: this.signal }, 'Shutdown deadline reached, returning in-flight data to the caller as retryable');
      }
      return;
    }
    const error = new RetryableError('exporter shut down before the data was exported');
    for (const request of taken) request.settler?.nack(error);
    // A persistent queue keeps every request taken from it; a memory one loses what it still holds
    // and the in-flight batches' unsent part (counted exactly above, as the batcher's are whole).
    const left = await this.closeQueue(this.queue instanceof PersistentSendingQueue ? [...taken] : held);
    const lost = left.kept ? 0 : left.items + unsent;
    if (left.kept && left.items > 0) {
      this.logger.warn({ items: left.items, signal: this.signal }, 'Shutdown deadline reached; data still in the persistent sending queue is sent after the next start');
    }
    if (lost > 0) {
      this.telemetry.sendFailed(lost);
      this.logger.error({ dropped_items: lost, signal: this.signal }, 'Shutdown deadline reached, dropping data still in the sending queue');
    }
    this.drain.checkIdle();
  }
}

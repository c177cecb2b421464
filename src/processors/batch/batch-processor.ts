// The batch processor: an RxJS operator that accumulates envelopes per metadata combination and
// emits merged (or split) envelopes by size or timeout. Acks flow back: every part of a parent
// holds a share of an AckJoin on it, and a sent batch settles all the shares it carries.
import type { OperatorFunction, Subscription } from 'rxjs';
import type { Logger } from 'pino';
import { mergeRequests } from '../../pdata/merge.js';
import { splitItems } from '../../pdata/split.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import { AckJoin, EMPTY_METADATA, settleAll, type Envelope, type EnvelopeContext, type Settler } from '../../pipeline/envelope.js';
import { processorOperator, type Incoming, type ProcessorOutput } from '../../pipeline/processor-helper.js';
import { PermanentError, RetryableError } from '../../pipeline/errors.js';
import type { BatchProcessorConfig } from './config.js';

const SEND_SIZE_BUCKETS = [10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000];
const SEND_BYTES_BUCKETS = [
  10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000, 200000, 300000, 400000, 500000,
  600000, 700000, 800000, 900000, 1000000, 2000000, 3000000, 4000000, 5000000, 6000000, 7000000, 8000000, 9000000,
];

type Trigger = 'size' | 'timeout';

interface BatchMetrics {
  sent(items: number, bytes: number, trigger: Trigger): void;
  /** Items held across all batches of this processor. */
  pending(delta: number): void;
  /** Metadata combinations currently holding data. */
  cardinality(delta: number): void;
}

function batchMetrics(settings: CreateSettings, signal: Signal): BatchMetrics {
  const t = settings.telemetry;
  const labels = { processor: settings.id };
  const size = t.histogram('otelcol_processor_batch_batch_send_size', 'Number of items in each batch sent.', ['processor'], SEND_SIZE_BUCKETS).labels(labels);
  const bytes = t
    .histogram('otelcol_processor_batch_batch_send_size_bytes', 'Estimated encoded size in bytes of each batch sent.', ['processor'], SEND_BYTES_BUCKETS)
    .labels(labels);
  const bySize = t.counter('otelcol_processor_batch_batch_size_trigger_send', 'Number of batches sent because they reached send_batch_size.', ['processor']).labels(labels);
  const byTimeout = t.counter('otelcol_processor_batch_timeout_trigger_send', 'Number of batches sent because their timeout expired.', ['processor']).labels(labels);
  const cardinality = t
    .gauge('otelcol_processor_batch_metadata_cardinality', 'Number of distinct metadata value combinations currently batched.', ['processor'])
    .labels(labels);
  const pending = t
    .gauge('sluice_processor_batch_pending_items', 'Items held by the batch processor waiting to be sent.', ['processor', 'data_type'])
    .labels({ ...labels, data_type: signal });
  return {
    sent: (items, n, trigger) => {
      size.observe(items);
      bytes.observe(n);
      (trigger === 'size' ? bySize : byTimeout).inc();
    },
    pending: (delta) => pending.inc(delta),
    cardinality: (delta) => cardinality.inc(delta),
  };
}

/** A parent envelope's data, or what remains of it after earlier batches took its first items. */
interface Piece<S extends Signal> {
  data: SignalData[S];
  items: number;
  bytes: number;
  /** The parent's received OTLP encoding, while this piece is all of it. */
  otlp?: Uint8Array;
  /** The parent's context restricted to the metadata keys: what the batch it lands in carries. */
  context: EnvelopeContext;
  join: AckJoin;
  share: Settler;
}

/** The pending batch of one metadata combination. Holds fewer than send_batch_size items between arrivals. */
interface Shard<S extends Signal> {
  key: string;
  pieces: Piece<S>[];
  items: number;
  timer: Subscription | undefined;
}

export class BatchProcessor<S extends Signal> implements Processor {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly metrics: BatchMetrics;

  constructor(settings: CreateSettings, configured: BatchProcessorConfig, signal: S) {
    this.metrics = batchMetrics(settings, signal);
    // Exporters that answer at enqueue batch in their queues with these settings (service/batch-handoff.ts);
    // waiting here as well would only hold the clients' answers for the timeout.
    const config = settings.exportersAnswerAtEnqueue ? { ...configured, timeout: 0 } : configured;
    if (settings.exportersAnswerAtEnqueue && configured.timeout > 0) {
      settings.logger.debug('every exporter of this pipeline answers at enqueue; batching happens in their sending queues');
    }
    // One pipeline subscribes to a batch processor; its batcher lives as long as that subscription.
    let batcher: Batcher<S> | undefined;
    this.operator = processorOperator(settings, signal, {
      process: (input) => batcher!.add(input),
      open: (out) => {
        batcher = new Batcher(settings, config, signal, this.metrics, out);
      },
      flush: () => batcher?.flush(),
      abandon: () => batcher?.abandon(),
    });
  }

  async start(): Promise<void> {}

  /** Flushing happens when the pipeline completes the operator's source. */
  async shutdown(): Promise<void> {}
}

/** The state of one subscription to the operator. */
class Batcher<S extends Signal> {
  private readonly shards = new Map<string, Shard<S>>();
  private readonly metadataKeys: string[];
  private readonly maxSize: number;
  private readonly logger: Logger;
  private atCardinalityLimit = false;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BatchProcessorConfig,
    private readonly signal: S,
    private readonly metrics: BatchMetrics,
    private readonly out: ProcessorOutput<S>,
  ) {
    this.metadataKeys = config.metadata_keys.map((k) => k.toLowerCase());
    this.maxSize = config.send_batch_max_size > 0 ? config.send_batch_max_size : Infinity;
    this.logger = settings.logger;
  }

  /** Takes a request into its shard; returns it when there is nothing to batch. */
  add(input: Incoming<S>): SignalData[S] | undefined {
    // The envelope's count is kept exact by the receiver and the processor helper; counting again would walk every span.
    const items = input.items;
    let key: string;
    try {
      key = this.keyOf(input.context);
    } catch (err) {
      throw new PermanentError(`batch: malformed request: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Nothing to batch; holding it would only delay its ack.
    if (items === 0) return input.data;
    let shard = this.shards.get(key);
    if (!shard) {
      if (this.shards.size >= this.config.metadata_cardinality_limit) throw this.overLimit();
      shard = { key, pieces: [], items: 0, timer: undefined };
      this.shards.set(key, shard);
      this.metrics.cardinality(1);
    }
    const join = new AckJoin(input.hold());
    shard.pieces.push({ data: input.data, items, bytes: input.bytes, otlp: input.otlp, context: this.restrict(input.context), join, share: join.retain() });
    join.release();
    shard.items += items;
    this.metrics.pending(items);

    let sent = false;
    while (shard.items > 0 && (this.config.timeout === 0 || shard.items >= this.config.send_batch_size)) {
      this.send(shard, 'size');
      sent = true;
    }
    if (shard.items === 0) this.retire(shard);
    // As in the Collector, a size-triggered send restarts the clock for what remains.
    else if (sent || !shard.timer) this.armTimer(shard);
    return undefined;
  }

  /** Sends everything held; the source has completed. */
  flush(): void {
    for (const shard of [...this.shards.values()]) {
      while (shard.items > 0) this.send(shard, 'timeout');
      this.retire(shard);
    }
  }

  /** The subscription ended without completion: nothing can be sent, so every holder hears why. */
  abandon(): void {
    const error = new RetryableError('batch processor stopped before the batch was sent');
    for (const shard of [...this.shards.values()]) {
      for (const piece of shard.pieces) piece.share.nack(error);
      this.metrics.pending(-shard.items);
      shard.pieces = [];
      shard.items = 0;
      this.retire(shard);
    }
  }

  /**
   * Metadata_cardinality_limit is hit. The Collector answers with a permanent error because its
   * batchers live forever; ours are dropped as soon as they are sent, so the limit is on
   * combinations holding data right now and frees up within one timeout: a retry can succeed.
   */
  private overLimit(): RetryableError {
    if (!this.atCardinalityLimit) {
      this.atCardinalityLimit = true;
      this.logger.warn({ limit: this.config.metadata_cardinality_limit }, 'metadata_cardinality_limit reached; refusing new metadata combinations');
    }
    return new RetryableError(`too many batcher metadata-value combinations (metadata_cardinality_limit is ${this.config.metadata_cardinality_limit})`, this.config.timeout || undefined);
  }

  private keyOf(context: EnvelopeContext): string {
    // Different tenants never share a batch, whether or not metadata_keys names their header.
    if (this.metadataKeys.length === 0 && context.tenant === undefined) return '';
    return JSON.stringify([context.tenant ?? null, ...this.metadataKeys.map((k) => context.metadata.get(k) ?? [])]);
  }

  private restrict(context: EnvelopeContext): EnvelopeContext {
    if (this.metadataKeys.length === 0) return context.metadata.size === 0 ? context : { ...context, metadata: EMPTY_METADATA };
    const metadata = new Map<string, readonly string[]>();
    for (const key of this.metadataKeys) {
      const values = context.metadata.get(key);
      if (values) metadata.set(key, values);
    }
    return { ...context, metadata };
  }

  private armTimer(shard: Shard<S>): void {
    shard.timer?.unsubscribe();
    shard.timer = this.settings.scheduler.schedule(() => {
      shard.timer = undefined;
      while (shard.items > 0) this.send(shard, 'timeout');
      this.retire(shard);
    }, this.config.timeout);
  }

  private retire(shard: Shard<S>): void {
    shard.timer?.unsubscribe();
    shard.timer = undefined;
    if (this.shards.get(shard.key) !== shard) return;
    this.shards.delete(shard.key);
    this.metrics.cardinality(-1);
    this.atCardinalityLimit = false;
  }

  /** Emits one batch of at most send_batch_max_size items from the front of the shard. */
  private send(shard: Shard<S>, trigger: Trigger): void {
    const taken: Piece<S>[] = [];
    let items = 0;
    let bytes = 0;
    const pieces = shard.pieces;
    let i = 0;
    while (i < pieces.length && items < this.maxSize) {
      const piece = pieces[i]!;
      if (items + piece.items <= this.maxSize) {
        taken.push(piece);
        items += piece.items;
        bytes += piece.bytes;
        i++;
        continue;
      }
      const n = this.maxSize - items;
      let head: SignalData[S];
      let rest: SignalData[S];
      try {
        [head, rest] = splitItems(this.signal, piece.data, n, piece.items);
      } catch (err) {
        // This parent's data cannot be cut; it fails alone and the batch goes on without it.
        pieces.splice(i, 1);
        shard.items -= piece.items;
        this.metrics.pending(-piece.items);
        piece.share.nack(new PermanentError(`batch: cannot split request: ${err instanceof Error ? err.message : String(err)}`));
        continue;
      }
      const headBytes = Math.round((piece.bytes * n) / piece.items);
      taken.push({ ...piece, data: head, items: n, bytes: headBytes, otlp: undefined, share: piece.join.retain() });
      piece.data = rest;
      piece.otlp = undefined;
      piece.items -= n;
      piece.bytes -= headBytes;
      items += n;
      bytes += headBytes;
    }
    pieces.splice(0, i);
    shard.items -= items;
    this.metrics.pending(-items);
    if (taken.length === 0) return;

    const data = mergeRequests(
      this.signal,
      taken.map((p) => p.data),
    );
    const settler = taken.length === 1 ? taken[0]!.share : settleAll(taken.map((p) => p.share));
    this.metrics.sent(items, bytes, trigger);
    // A request sent on whole (as with every one when exporters batch in their queues) keeps its received encoding.
    this.out.emit(data, taken[0]!.context, settler, bytes, items, taken.length === 1 ? taken[0]!.otlp : undefined);
  }
}

// Batching inside the sending queue, as the Collector's exporterhelper batcher: requests taken from
// the queue are merged per request context until `min_size` is reached or `flush_timeout` has passed
// since the first of them, and cut at `max_size`. The clients were answered at enqueue, so this
// wait costs export latency only. For a sender whose requests concatenate, each request is encoded
// as it joins its partition, so a flush joins bytes instead of stalling the event loop (and every
// client's answer with it) for the encoding of a whole batch.
import type { SchedulerLike, Subscription } from 'rxjs';
import { mergeRequests } from '../pdata/merge.js';
import { splitItems } from '../pdata/split.js';
import type { Signal, SignalData } from '../pdata/types.js';
import { contextKey, type EnvelopeContext } from './envelope.js';
import type { QueuedRequest, QueueTicket } from './sending-queue.js';
import type { QueueBatchConfig } from './queue-batch-config.js';

/** A request on its way through the batcher: done once every piece of it has been exported. */
export interface BatchedRequest {
  readonly request: QueueTicket;
  /** Pieces in batches not yet finished. */
  pieces: number;
  /** All of it is in batches (nothing left waiting in a partition). */
  cut: boolean;
  error?: Error;
}

interface ReadyBatchBase {
  context: EnvelopeContext;
  items: number;
  bytes: number;
  parts: BatchedRequest[];
}

/** A batch to send: its data, or, when every piece could be encoded on its way in, their encodings in order. */
export type ReadyBatch<S extends Signal, E = never> = ReadyBatchBase & ({ data: SignalData[S]; encoded?: undefined } | { encoded: E[]; data?: undefined });

/** Encodes one piece on its way into a batch; undefined when it cannot (the batch is then encoded whole at its send). */
export type PieceEncoder<S extends Signal, E> = (piece: Pick<QueuedRequest<S>, 'data' | 'context' | 'otlp'>) => E | undefined;

interface Piece<S extends Signal, E> {
  owner: BatchedRequest;
  /** Released once encoded, unless a max_size may still split it. */
  data?: SignalData[S];
  items: number;
  bytes: number;
  encoded?: E;
}

interface Partition<S extends Signal, E> {
  key: string;
  context: EnvelopeContext;
  pieces: Piece<S, E>[];
  size: number;
  timer?: Subscription;
}

export class QueueBatcher<S extends Signal, E = never> {
  private readonly partitions = new Map<string, Partition<S, E>>();
  private readonly ready: ReadyBatch<S, E>[] = [];

  constructor(
    private readonly signal: S,
    private readonly config: QueueBatchConfig,
    private readonly scheduler: SchedulerLike,
    /** Called when a batch became ready by timeout (one by size is found by the caller's next `next()`). */
    private readonly onReady: () => void,
    private readonly encodePiece?: PieceEncoder<S, E>,
  ) {}

  /** Nothing held, nothing ready. */
  get empty(): boolean {
    return this.partitions.size === 0 && this.ready.length === 0;
  }

  add(request: QueuedRequest<S>): void {
    const key = contextKey(request.context);
    let partition = this.partitions.get(key);
    if (!partition) {
      partition = { key, context: request.context, pieces: [], size: 0 };
      this.partitions.set(key, partition);
      partition.timer = this.scheduler.schedule(() => {
        partition!.timer = undefined;
        this.cutAll(partition!);
        this.onReady();
      }, this.config.flush_timeout);
    }
    // Field by field, as `data` may be decoded only when read.
    const ticket: QueueTicket = { context: request.context, items: request.items, bytes: request.bytes, settler: request.settler, record: request.record };
    const owner: BatchedRequest = { request: ticket, pieces: 0, cut: false };
    // One that must be split at max_size is encoded piece by piece as it is cut, not whole first.
    const encoded = this.config.max_size > 0 && this.sizeOf(request.items, request.bytes, 1) > this.config.max_size ? undefined : this.encodePiece?.(request);
    partition.pieces.push({ owner, data: this.keepData(encoded) ? request.data : undefined, items: request.items, bytes: request.bytes, encoded });
    partition.size += this.sizeOf(request.items, request.bytes, 1);
    while (partition.pieces.length > 0 && partition.size >= Math.max(1, this.config.min_size)) this.cut(partition);
    if (partition.pieces.length === 0) this.retire(partition);
  }

  next(): ReadyBatch<S, E> | undefined {
    return this.ready.shift();
  }

  /** Makes everything held ready (shutdown: there is no waiting for more). */
  flush(): void {
    for (const partition of [...this.partitions.values()]) this.cutAll(partition);
  }

  /** Empties the batcher at the shutdown deadline: the requests it held, for the queue to keep or count. */
  takeAll(): QueueTicket[] {
    const out = new Set<QueueTicket>();
    for (const p of this.partitions.values()) for (const piece of p.pieces) out.add(piece.owner.request);
    for (const b of this.ready) for (const part of b.parts) out.add(part.request);
    for (const p of this.partitions.values()) p.timer?.unsubscribe();
    this.partitions.clear();
    this.ready.length = 0;
    return [...out];
  }

  /** Decoded data is needed after encoding only to split it at max_size. */
  private keepData(encoded: E | undefined): boolean {
    return encoded === undefined || !this.keepsNoData;
  }

  /** Whether a request's data goes unread once the request is encoded. */
  get keepsNoData(): boolean {
    return this.config.max_size === 0;
  }

  private sizeOf(items: number, bytes: number, requests: number): number {
    switch (this.config.sizer) {
      case 'items':
        return items;
      case 'bytes':
        return bytes;
      case 'requests':
        return requests;
    }
  }

  private cutAll(partition: Partition<S, E>): void {
    while (partition.pieces.length > 0) this.cut(partition);
    this.retire(partition);
  }

  private retire(partition: Partition<S, E>): void {
    partition.timer?.unsubscribe();
    if (this.partitions.get(partition.key) === partition) this.partitions.delete(partition.key);
  }

  /** Moves one batch of at most max_size from the front of the partition to the ready list. */
  private cut(partition: Partition<S, E>): void {
    const max = this.config.max_size > 0 ? this.config.max_size : Infinity;
    const taken: Piece<S, E>[] = [];
    let size = 0;
    const takeWhole = (piece: Piece<S, E>): void => {
      partition.pieces.shift();
      // The rest of a split piece is encoded only now, once it goes whole.
      if (piece.encoded === undefined && piece.data !== undefined) piece.encoded = this.encodePiece?.({ data: piece.data, context: partition.context });
      taken.push(piece);
      size += this.sizeOf(piece.items, piece.bytes, 1);
      piece.owner.pieces++;
      piece.owner.cut = true;
    };
    while (partition.pieces.length > 0 && size < max) {
      const piece = partition.pieces[0]!;
      if (size + this.sizeOf(piece.items, piece.bytes, 1) <= max) {
        takeWhole(piece);
        continue;
      }
      // A request cannot be cut below one item; it goes alone rather than never.
      if (this.config.sizer === 'requests' || piece.items <= 1) {
        if (taken.length === 0) takeWhole(piece);
        break;
      }
      // Split so the batch ends at max: exactly by items, as near as item granularity allows by bytes.
      const room = max - size;
      let n = this.config.sizer === 'items' ? room : Math.floor((piece.items * room) / Math.max(1, piece.bytes));
      if (n < 1) {
        if (taken.length > 0) break;
        n = 1;
      }
      if (n >= piece.items) {
        takeWhole(piece);
        continue;
      }
      const [head, rest] = splitItems(this.signal, piece.data!, n, piece.items);
      const headBytes = Math.round((piece.bytes * n) / piece.items);
      taken.push({ owner: piece.owner, data: head, items: n, bytes: headBytes, encoded: this.encodePiece?.({ data: head, context: partition.context }) });
      piece.owner.pieces++;
      piece.data = rest;
      piece.encoded = undefined;
      piece.items -= n;
      piece.bytes -= headBytes;
      size += this.sizeOf(n, headBytes, 0);
      break;
    }
    partition.size -= Math.min(partition.size, size);
    if (partition.pieces.length === 0) partition.size = 0;
    const encoded = taken.filter((p) => p.encoded !== undefined);
    if (encoded.length > 0) this.ready.push({ encoded: encoded.map((p) => p.encoded!), ...this.carrying(encoded, partition.context) });
    // Pieces that could not be encoded on their way in go as their own batch, encoded whole at its
    // send, which refuses them for good if they cannot be; the others are not held back by them.
    const whole = taken.filter((p) => p.encoded === undefined);
    if (whole.length > 0) {
      const data = whole.length === 1 ? whole[0]!.data! : mergeRequests(this.signal, whole.map((p) => p.data!));
      this.ready.push({ data, ...this.carrying(whole, partition.context) });
    }
  }

  private carrying(pieces: Piece<S, E>[], context: EnvelopeContext): ReadyBatchBase {
    let items = 0;
    let bytes = 0;
    for (const p of pieces) {
      items += p.items;
      bytes += p.bytes;
    }
    return { context, items, bytes, parts: [...new Set(pieces.map((p) => p.owner))] };
  }
}

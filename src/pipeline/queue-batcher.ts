// Batching inside the sending queue, as the Collector's exporterhelper batcher: requests taken from
// the queue are merged per request context until `min_size` is reached or `flush_timeout` has passed
// since the first of them, and cut at `max_size`. The clients were answered at enqueue, so this
// wait costs export latency only.
import type { SchedulerLike, Subscription } from 'rxjs';
import { mergeRequests } from '../pdata/merge.js';
import { splitItems } from '../pdata/split.js';
import type { Signal, SignalData } from '../pdata/types.js';
import { contextKey, type EnvelopeContext } from './envelope.js';
import type { QueuedRequest } from './sending-queue.js';
import type { QueueBatchConfig } from './queue-batch-config.js';

/** A request on its way through the batcher: done once every piece of it has been exported. */
export interface BatchedRequest<S extends Signal> {
  readonly request: QueuedRequest<S>;
  /** Pieces in batches not yet finished. */
  pieces: number;
  /** All of it is in batches (nothing left waiting in a partition). */
  cut: boolean;
  error?: Error;
}

export interface ReadyBatch<S extends Signal> {
  data: SignalData[S];
  context: EnvelopeContext;
  items: number;
  bytes: number;
  parts: BatchedRequest<S>[];
}

interface Piece<S extends Signal> {
  owner: BatchedRequest<S>;
  data: SignalData[S];
  items: number;
  bytes: number;
}

interface Partition<S extends Signal> {
  key: string;
  context: EnvelopeContext;
  pieces: Piece<S>[];
  size: number;
  timer?: Subscription;
}

export class QueueBatcher<S extends Signal> {
  private readonly partitions = new Map<string, Partition<S>>();
  private readonly ready: ReadyBatch<S>[] = [];

  constructor(
    private readonly signal: S,
    private readonly config: QueueBatchConfig,
    private readonly scheduler: SchedulerLike,
    /** Called when a batch became ready by timeout (one by size is found by the caller's next `next()`). */
    private readonly onReady: () => void,
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
    const owner: BatchedRequest<S> = { request, pieces: 0, cut: false };
    partition.pieces.push({ owner, data: request.data, items: request.items, bytes: request.bytes });
    partition.size += this.sizeOf(request.items, request.bytes, 1);
    while (partition.pieces.length > 0 && partition.size >= Math.max(1, this.config.min_size)) this.cut(partition);
    if (partition.pieces.length === 0) this.retire(partition);
  }

  next(): ReadyBatch<S> | undefined {
    return this.ready.shift();
  }

  /** Makes everything held ready (shutdown: there is no waiting for more). */
  flush(): void {
    for (const partition of [...this.partitions.values()]) this.cutAll(partition);
  }

  /** Empties the batcher at the shutdown deadline: the requests it held, for the queue to keep or count. */
  takeAll(): QueuedRequest<S>[] {
    const out = new Set<QueuedRequest<S>>();
    for (const p of this.partitions.values()) for (const piece of p.pieces) out.add(piece.owner.request);
    for (const b of this.ready) for (const part of b.parts) out.add(part.request);
    for (const p of this.partitions.values()) p.timer?.unsubscribe();
    this.partitions.clear();
    this.ready.length = 0;
    return [...out];
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

  private cutAll(partition: Partition<S>): void {
    while (partition.pieces.length > 0) this.cut(partition);
    this.retire(partition);
  }

  private retire(partition: Partition<S>): void {
    partition.timer?.unsubscribe();
    if (this.partitions.get(partition.key) === partition) this.partitions.delete(partition.key);
  }

  /** Moves one batch of at most max_size from the front of the partition to the ready list. */
  private cut(partition: Partition<S>): void {
    const max = this.config.max_size > 0 ? this.config.max_size : Infinity;
    const taken: Piece<S>[] = [];
    let size = 0;
    const takeWhole = (piece: Piece<S>): void => {
      partition.pieces.shift();
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
      const [head, rest] = splitItems(this.signal, piece.data, n, piece.items);
      const headBytes = Math.round((piece.bytes * n) / piece.items);
      taken.push({ owner: piece.owner, data: head, items: n, bytes: headBytes });
      piece.owner.pieces++;
      piece.data = rest;
      piece.items -= n;
      piece.bytes -= headBytes;
      size += this.sizeOf(n, headBytes, 0);
      break;
    }
    partition.size -= Math.min(partition.size, size);
    if (partition.pieces.length === 0) partition.size = 0;
    if (taken.length === 0) return;
    let items = 0;
    let bytes = 0;
    for (const p of taken) {
      items += p.items;
      bytes += p.bytes;
    }
    const data = taken.length === 1 ? taken[0]!.data : mergeRequests(this.signal, taken.map((p) => p.data));
    const parts = [...new Set(taken.map((p) => p.owner))];
    this.ready.push({ data, context: partition.context, items, bytes, parts });
  }
}

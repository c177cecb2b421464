// The exporter helper's sending queue, in memory or in a storage extension's persistent queue, bounded
// by `queue_size` in the unit `sizer` names. As in the Collector, a request counts against the bound
// from enqueue until a consumer takes it; consumers (at most num_consumers) hold what they send.
import type { Signal, SignalData } from '../pdata/types.js';
import { otlpCodecs } from '../codec/otlp-proto.js';
import type { EnvelopeContext, Settler } from './envelope.js';
import type { PersistentQueue } from './queue-store.js';
import { PermanentError, RetryableError } from './errors.js';

export type Sizer = 'requests' | 'items' | 'bytes';

/**
 * A queued request apart from its data: what the queue needs back once it was taken (`done`,
 * `close`) and who waits for its export. A batcher that has encoded the data keeps only this, so
 * the decoded request can be collected young instead of surviving in the heap until its export.
 */
export interface QueueTicket {
  context: EnvelopeContext;
  items: number;
  bytes: number;
  /** Settled once exported, when the client's answer waits for that (`wait_for_result: true`). */
  settler?: Settler;
  /** The persistent record this request was read from. */
  record?: number;
}

/** One enqueued request: what a client sent (after the pipeline). */
export interface QueuedRequest<S extends Signal> extends QueueTicket {
  data: SignalData[S];
  /** `data` as OTLP protobuf, as the receiver got it or a persistent queue read it back: a sender of OTLP sends these bytes instead of encoding `data` again. */
  otlp?: Uint8Array;
}

export interface SendingQueue<S extends Signal> {
  readonly capacity: number;
  /** Occupancy in sizer units of what waits for a consumer. */
  readonly size: number;
  /**
   * Queues a request. A memory queue does it at once (returns nothing, throws a RetryableError when
   * full); a persistent one returns a promise that resolves once the request is durable.
   */
  offer(request: QueuedRequest<S>): Promise<void> | void;
  /** The next request for the consumers, or undefined. */
  take(): QueuedRequest<S> | undefined;
  /** Whether `offer` of `request` would fit now. */
  fits(request: Pick<QueuedRequest<S>, 'items' | 'bytes'>): boolean;
  /** Its export is over (sent, or given up on): it leaves the queue for good. */
  done(request: QueueTicket): void;
  /**
   * At the shutdown deadline: what is left, and whether it survives (a persistent queue keeps it
   * for the next start; a memory queue loses it). Requests taken and not done are included.
   */
  close(taken: readonly QueueTicket[]): Promise<{ items: number; kept: boolean }>;
}

function sizeOf(sizer: Sizer, request: Pick<QueuedRequest<Signal>, 'items' | 'bytes'>): number {
  switch (sizer) {
    case 'requests':
      return 1;
    case 'items':
      return request.items;
    case 'bytes':
      return request.bytes;
  }
}

/**
 * A FIFO that refuses past its bound; its array holds at most `capacity` entries (each request is at
 * least one unit). With `keepsOtlpOf`, for a consumer that sends OTLP as it is, requests wait as
 * their OTLP encoding: a full queue then holds a tenth of the memory decoded data takes.
 */
export class MemorySendingQueue<S extends Signal> implements SendingQueue<S> {
  private readonly entries: (QueuedRequest<S> | undefined)[] = [];
  private head = 0;
  private used = 0;

  constructor(
    readonly capacity: number,
    private readonly sizer: Sizer,
    private readonly keepsOtlpOf?: S,
  ) {}

  get size(): number {
    return this.used;
  }

  fits(request: Pick<QueuedRequest<S>, 'items' | 'bytes'>): boolean {
    return this.used + Math.max(1, sizeOf(this.sizer, request)) <= this.capacity;
  }

  offer(request: QueuedRequest<S>): void {
    if (!this.fits(request)) throw new RetryableError('sending queue is full');
    this.used += Math.max(1, sizeOf(this.sizer, request));
    this.entries.push(this.keepsOtlpOf ? asOtlp(this.keepsOtlpOf, request) : request);
  }

  take(): QueuedRequest<S> | undefined {
    if (this.head === this.entries.length) return undefined;
    const request = this.entries[this.head]!;
    this.entries[this.head++] = undefined;
    this.used -= Math.max(1, sizeOf(this.sizer, request));
    // Compacting once the consumed prefix is half the array keeps shifting amortised O(1).
    if (this.head * 2 >= this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    return request;
  }

  /** A memory queue forgets a request when it is taken. */
  done(): void {}

  async close(taken: readonly QueueTicket[]): Promise<{ items: number; kept: boolean }> {
    let items = 0;
    for (const r of taken) items += r.items;
    for (let r = this.take(); r; r = this.take()) items += r.items;
    return { items, kept: false };
  }
}

/**
 * A queue whose requests live in a storage extension: written (and fsync'd when configured) before
 * `offer` resolves, replayed after a restart, deleted once exported.
 */
export class PersistentSendingQueue<S extends Signal> implements SendingQueue<S> {
  /** Offers being written: they count against the bound already. */
  private pending = { records: 0, items: 0, bytes: 0 };
  /** Taken and not done: still in the store, no longer waiting. */
  private taken = new Map<number, { items: number; bytes: number }>();
  private takenItems = 0;
  private takenBytes = 0;

  constructor(
    readonly capacity: number,
    private readonly sizer: Sizer,
    private readonly signal: S,
    private readonly store: PersistentQueue,
    /** The consumer sends the stored OTLP bytes as they are: a request's `data` is decoded only if read. */
    private readonly sendsStoredOtlp = false,
  ) {}

  get size(): number {
    switch (this.sizer) {
      case 'requests':
        return this.store.available + this.pending.records;
      case 'items':
        return this.store.items - this.takenItems + this.pending.items;
      case 'bytes':
        return this.store.bytes - this.takenBytes + this.pending.bytes;
    }
  }

  fits(request: Pick<QueuedRequest<S>, 'items' | 'bytes'>): boolean {
    return this.size + Math.max(1, sizeOf(this.sizer, request)) <= this.capacity;
  }

  async offer(request: QueuedRequest<S>): Promise<void> {
    if (!this.fits(request)) throw new RetryableError('sending queue is full');
    let payload: Uint8Array;
    try {
      payload = encodeQueuedRequest(this.signal, request);
    } catch (err) {
      throw new PermanentError(`cannot encode ${this.signal} for the persistent queue: ${err instanceof Error ? err.message : String(err)}`);
    }
    // The bound is checked on the encoded size, the one the store will hold.
    const entry = { records: 1, items: request.items, bytes: payload.length };
    this.pending.records += entry.records;
    this.pending.items += entry.items;
    this.pending.bytes += entry.bytes;
    try {
      await this.store.append(payload, request.items);
    } finally {
      this.pending.records -= entry.records;
      this.pending.items -= entry.items;
      this.pending.bytes -= entry.bytes;
    }
  }

  take(): QueuedRequest<S> | undefined {
    for (let record = this.store.take(); record; record = this.store.take()) {
      try {
        const request = decodeQueuedRequest(this.signal, record.payload, { items: record.items, record: record.id }, this.sendsStoredOtlp);
        this.taken.set(record.id, { items: record.items, bytes: record.payload.length });
        this.takenItems += record.items;
        this.takenBytes += record.payload.length;
        return request;
      } catch {
        // The store checked its CRC, so this is a record of another format or version: it can
        // never be sent, and keeping it would block the queue.
        this.store.ack(record.id);
      }
    }
    return undefined;
  }

  done(request: QueueTicket): void {
    if (request.record === undefined) return;
    this.untake(request.record);
    this.store.ack(request.record);
  }

  private untake(id: number): void {
    const t = this.taken.get(id);
    if (!t) return;
    this.taken.delete(id);
    this.takenItems -= t.items;
    this.takenBytes -= t.bytes;
  }

  async close(taken: readonly QueueTicket[]): Promise<{ items: number; kept: boolean }> {
    for (const r of taken) {
      if (r.record === undefined) continue;
      this.untake(r.record);
      this.store.release(r.record);
    }
    const items = this.store.items;
    await this.store.close();
    return { items, kept: true };
  }
}

const FORMAT_VERSION = 1;

/** A queued request as stored: version byte, context length (u32), context JSON, OTLP protobuf. */
export function encodeQueuedRequest<S extends Signal>(signal: S, request: QueuedRequest<S>): Uint8Array {
  const context = Buffer.from(
    JSON.stringify({
      r: request.context.receiver,
      t: request.context.transport,
      n: request.context.tenant,
      m: [...request.context.metadata],
      b: request.bytes,
    }),
  );
  const data = request.otlp ?? otlpCodecs[signal].encode(request.data);
  const out = Buffer.allocUnsafe(5 + context.length + data.length);
  out[0] = FORMAT_VERSION;
  out.writeUInt32LE(context.length, 1);
  context.copy(out, 5);
  out.set(data, 5 + context.length);
  return out;
}

/**
 * A stored request read back. Its data is decoded here, or with `lazily` on its first read: a
 * consumer that sends the stored OTLP as it is never pays for a decode (nor the garbage of one).
 */
export function decodeQueuedRequest<S extends Signal>(signal: S, payload: Uint8Array, stored: { items: number; record: number }, lazily = false): QueuedRequest<S> & { otlp: Uint8Array } {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf[0] !== FORMAT_VERSION) throw new Error(`unknown queued request format ${buf[0]}`);
  const length = buf.readUInt32LE(1);
  const header = JSON.parse(buf.subarray(5, 5 + length).toString('utf8')) as { r: string; t?: string; n?: string; m: [string, string[]][]; b: number };
  const otlp = buf.subarray(5 + length);
  const context: EnvelopeContext = { receiver: header.r, transport: header.t, tenant: header.n, metadata: new Map(header.m) };
  const ticket: QueueTicket = { context, bytes: header.b, items: stored.items, record: stored.record };
  return lazily ? new OtlpRequest(signal, ticket, otlp) : { ...ticket, otlp, data: otlpCodecs[signal].decode(otlp) };
}

/**
 * A request held as OTLP, its `data` decoded only if read. A class, so that every such request
 * shares one hidden class: an accessor defined per object would give each its own, which V8
 * allocates in old space, and the collector would run full collections for them.
 */
class OtlpRequest<S extends Signal> implements QueuedRequest<S> {
  readonly context: EnvelopeContext;
  readonly items: number;
  readonly bytes: number;
  readonly settler?: Settler;
  readonly record?: number;
  private decoded?: SignalData[S];

  constructor(
    private readonly signal: S,
    ticket: QueueTicket,
    readonly otlp: Uint8Array,
  ) {
    this.context = ticket.context;
    this.items = ticket.items;
    this.bytes = ticket.bytes;
    this.settler = ticket.settler;
    this.record = ticket.record;
  }

  get data(): SignalData[S] {
    return (this.decoded ??= otlpCodecs[this.signal].decode(this.otlp));
  }
}

/** A request as its OTLP encoding (the one it came with, when it has it); one that cannot be encoded stays decoded, and its export refuses it. */
function asOtlp<S extends Signal>(signal: S, request: QueuedRequest<S>): QueuedRequest<S> {
  let otlp: Uint8Array;
  try {
    otlp = request.otlp ?? otlpCodecs[signal].encode(request.data);
  } catch {
    return request;
  }
  return new OtlpRequest(signal, request, otlp);
}

// The unit that travels through a pipeline. Whoever holds an envelope must eventually settle it
// exactly once: ack() when the data is safely handed on, nack(err) when it cannot be.
import type { Signal, SignalData } from '../pdata/types.js';
import { countItems } from '../pdata/count.js';
import { combineErrors, withoutItemCount } from './errors.js';

export interface EnvelopeContext {
  /** Id of the receiver (or connector) that produced the data. */
  readonly receiver: string;
  readonly transport?: string;
  /** Client metadata: lower-cased header names → values, filled when `include_metadata` is set. */
  readonly metadata: ReadonlyMap<string, readonly string[]>;
  readonly tenant?: string;
}

export interface Settler {
  ack(): void;
  nack(error: Error): void;
}

export interface Envelope<S extends Signal = Signal> extends Settler {
  readonly signal: S;
  data: SignalData[S];
  /** Spans, data points or log records in `data`. */
  items: number;
  /** Encoded size as received, or an estimate for data built in the pipeline. */
  bytes: number;
  readonly context: EnvelopeContext;
  readonly settled: boolean;
  /**
   * `data` as the OTLP protobuf the receiver got, while nothing has changed it: an exporter that
   * sends OTLP queues these bytes instead of encoding the data again. Only what is known to leave
   * the data as it is passes it on (memory_limiter, batch for a request it sends whole, fan-outs to
   * read-only branches); everything else builds envelopes without it, and the processor helper
   * drops it behind any other processor.
   */
  otlp?: Uint8Array;
}

export const EMPTY_METADATA: ReadonlyMap<string, readonly string[]> = new Map();

export function receiverContext(receiver: string, transport?: string, metadata = EMPTY_METADATA, tenant?: string): EnvelopeContext {
  return { receiver, transport, metadata, tenant };
}

class EnvelopeImpl<S extends Signal> implements Envelope<S> {
  settled = false;
  constructor(
    readonly signal: S,
    public data: SignalData[S],
    public items: number,
    public bytes: number,
    readonly context: EnvelopeContext,
    private readonly settler: Settler,
    public otlp: Uint8Array | undefined,
  ) {}

  ack(): void {
    if (this.settled) return;
    this.settled = true;
    this.settler.ack();
  }

  nack(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.settler.nack(error);
  }
}

export function createEnvelope<S extends Signal>(
  signal: S,
  data: SignalData[S],
  context: EnvelopeContext,
  settler: Settler,
  bytes = 0,
  items = countItems(signal, data),
  otlp?: Uint8Array,
): Envelope<S> {
  return new EnvelopeImpl(signal, data, items, bytes, context, settler, otlp);
}

/**
 * Reference-counted settlement: the target settles once every holder has released its share.
 * Starts with one reference held by the creator, which must release it after handing out parts.
 * The first failure is remembered; retryable failures win over permanent ones so nothing is lost.
 */
export class AckJoin implements Settler {
  private refs = 1;
  private error: Error | undefined;

  constructor(private readonly target: Settler) {}

  retain(): Settler {
    this.refs++;
    let done = false;
    return {
      ack: () => {
        if (done) return;
        done = true;
        this.release();
      },
      nack: (err: Error) => {
        if (done) return;
        done = true;
        this.release(err);
      },
    };
  }

  release(err?: Error): void {
    if (err) this.error = combineErrors(this.error, err);
    if (--this.refs === 0) {
      if (this.error) this.target.nack(this.error);
      else this.target.ack();
    }
  }

  ack(): void {
    this.release();
  }

  nack(err: Error): void {
    this.release(err);
  }
}

/** Settles every parent when the merged child settles (a batch built from several envelopes). */
export function settleAll(parents: readonly Settler[]): Settler {
  return {
    ack: () => {
      for (const p of parents) p.ack();
    },
    nack: (err) => {
      const whole = withoutItemCount(err);
      for (const p of parents) p.nack(whole);
    },
  };
}

/** A new envelope carrying `data` and the context of `from`, settling through `settler`. */
export function deriveEnvelope<S extends Signal>(
  from: Pick<Envelope<S>, 'signal' | 'context'>,
  data: SignalData[S],
  settler: Settler,
  bytes = 0,
  otlp?: Uint8Array,
): Envelope<S> {
  return createEnvelope(from.signal, data, from.context, settler, bytes, undefined, otlp);
}

const contextKeys = new WeakMap<EnvelopeContext, string>();

/**
 * Equal for contexts that carry the same receiver, transport, tenant and client metadata: a
 * processor that holds data from many requests groups by it, so what it releases later goes out
 * under the context it came in with and data of different clients never shares a request.
 */
export function contextKey(context: EnvelopeContext): string {
  let key = contextKeys.get(context);
  if (key === undefined) {
    const metadata = [...context.metadata].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    key = JSON.stringify([context.receiver, context.transport ?? null, context.tenant ?? null, metadata]);
    contextKeys.set(context, key);
  }
  return key;
}

/**
 * What two contexts have in common: the tenant and the metadata entries both carry with equal
 * values. For data derived from many requests at once (recorded series), which belongs to every
 * client that fed it only as far as they agree.
 */
export function commonContext(a: EnvelopeContext, b: EnvelopeContext): EnvelopeContext {
  if (a === b || contextKey(a) === contextKey(b)) return a;
  const metadata = new Map<string, readonly string[]>();
  for (const [key, values] of a.metadata) {
    const other = b.metadata.get(key);
    if (other && other.length === values.length && other.every((v, i) => v === values[i])) metadata.set(key, values);
  }
  const tenant = a.tenant === b.tenant ? a.tenant : undefined;
  return { receiver: a.receiver === b.receiver ? a.receiver : '', transport: a.transport === b.transport ? a.transport : undefined, metadata, tenant };
}

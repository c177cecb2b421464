// What both transports do with a decoded request: wrap it in an envelope, hand it to the
// pipeline, and turn the envelope's settlement into an outcome the transport can answer with.
import type { Consumer } from '../../pipeline/component.js';
import { createEnvelope, receiverContext, EMPTY_METADATA } from '../../pipeline/envelope.js';
import { isRetryable, PermanentError, retryAfterOf, RetryableError } from '../../pipeline/errors.js';
import type { PartialSuccess } from '../../codec/otlp-proto.js';
import { countItems } from '../../pdata/count.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { ReceiverTelemetry } from '../../telemetry/telemetry.js';

export type Outcome =
  | { kind: 'accepted'; partial?: PartialSuccess }
  | { kind: 'retryable'; message: string; retryAfterMs: number; throttled: boolean }
  | { kind: 'permanent'; message: string };

/** What a client is told to wait when the refusal carries no delay of its own. */
const DEFAULT_RETRY_AFTER_MS = 1000;

export class Ingest {
  constructor(
    private readonly receiverId: string,
    private readonly transport: 'grpc' | 'http',
    private readonly next: Partial<Record<Signal, Consumer>>,
    private readonly telemetry: ReceiverTelemetry,
  ) {}

  accepts(signal: Signal): boolean {
    return this.next[signal] !== undefined;
  }

  submit<S extends Signal>(
    signal: S,
    data: SignalData[S],
    bytes: number,
    metadata: ReadonlyMap<string, readonly string[]> = EMPTY_METADATA,
    /** The request as OTLP protobuf, when it came so: exporters of OTLP can send it on without encoding it again. */
    otlp?: Uint8Array,
  ): Promise<Outcome> {
    const items = countItems(signal, data);
    // An empty request is valid OTLP and needs nothing from the pipeline.
    if (items === 0) return Promise.resolve({ kind: 'accepted' });
    return new Promise<Outcome>((resolve) => {
      const settler = {
        ack: () => {
          this.telemetry.accepted(signal, items);
          resolve({ kind: 'accepted' });
        },
        nack: (err: Error) => {
          const rejected = partiallyRejected(err, items);
          if (rejected !== undefined) {
            this.telemetry.accepted(signal, items - rejected);
            this.telemetry.refused(signal, rejected);
            resolve({ kind: 'accepted', partial: { rejected, errorMessage: err.message } });
            return;
          }
          this.telemetry.refused(signal, items);
          if (isRetryable(err)) {
            resolve({
              kind: 'retryable',
              message: err.message,
              retryAfterMs: Math.max(0, retryAfterOf(err) ?? DEFAULT_RETRY_AFTER_MS),
              throttled: err instanceof RetryableError && err.throttled,
            });
          } else {
            resolve({ kind: 'permanent', message: err.message });
          }
        },
      };
      const envelope = createEnvelope(signal, data, receiverContext(this.receiverId, this.transport, metadata), settler, bytes, items, otlp && ownBytes(otlp));
      try {
        this.next[signal]!.consume(envelope);
      } catch (err) {
        envelope.nack(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }
}

/**
 * The request's bytes in memory of their own: a view into a larger buffer (a transport's read
 * chunk) would keep all of it alive for as long as the request waits in a queue.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes);
}

/** The refused count when a permanent failure covers only part of the request (OTLP partial success). */
function partiallyRejected(err: Error, items: number): number | undefined {
  if (!(err instanceof PermanentError) || err.rejectedItems === undefined) return undefined;
  return err.rejectedItems < items ? Math.max(0, err.rejectedItems) : undefined;
}

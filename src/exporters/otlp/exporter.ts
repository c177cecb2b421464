// The OTLP/gRPC sender: encodes a batch, makes one unary Export call, and maps the outcome to
// the pipeline's retryable / permanent errors as the OTLP specification prescribes.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { Logger } from 'pino';
import { decodeExportResponse, otlpCodecs, rpcStatusType } from '../../codec/otlp-proto.js';
import { exportMethodPath, rawBytes } from '../../codec/otlp-grpc.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { PermanentError, RetryableError } from '../../pipeline/errors.js';

/** Codes after which the same request may succeed later (OTLP spec, "Failures" for gRPC). */
const RETRYABLE_CODES = new Set<grpc.status>([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';


export class GrpcSender<S extends Signal> implements ExportSender<S> {
  private readonly method: string;
  private client: grpc.Client | undefined;

  constructor(
    private readonly signal: S,
    /** Connects lazily: the channel exists from start() to shutdown(). */
    private readonly connect: () => grpc.Client,
    private readonly metadata: grpc.Metadata,
    private readonly logger: Logger,
  ) {
    this.method = exportMethodPath(signal);
  }

  async start(): Promise<void> {
    this.client ??= this.connect();
  }

  async send(data: SignalData[S], _context: unknown, abort: AbortSignal): Promise<void> {
    let body: Buffer;
    try {
      const bytes = otlpCodecs[this.signal].encode(data);
      body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      // Data that cannot be encoded now never will be: retrying would only delay the queue.
      throw new PermanentError(`cannot encode ${this.signal} as OTLP protobuf: ${(err as Error).message}`);
    }
    const client = (this.client ??= this.connect());
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest(this.method, rawBytes, rawBytes, body, this.metadata.clone(), (err, response) => {
        abort.removeEventListener('abort', cancel);
        if (err) {
          reject(grpcError(err));
          return;
        }
        this.reportPartialSuccess(response);
        resolve();
      });
      const cancel = () => call.cancel();
      abort.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Rejected items in a successful reply are the server's final word: log them, never retry. */
  private reportPartialSuccess(response: Buffer | undefined): void {
    if (!response || response.length === 0) return;
    let partial;
    try {
      partial = decodeExportResponse(this.signal, response);
    } catch (err) {
      this.logger.debug({ error: (err as Error).message }, 'Undecodable export response ignored');
      return;
    }
    if (partial && (partial.rejected > 0 || partial.errorMessage)) {
      this.logger.warn({ rejected: partial.rejected, message: partial.errorMessage }, 'Partial success response from the server');
    }
  }

  async shutdown(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }
}

/**
 * RESOURCE_EXHAUSTED is retryable only when the server says when to come back (RetryInfo), as the
 * spec and the Collector have it: grpc itself uses that code for "message larger than the
 * server's limit", which no retry can fix, so without RetryInfo it is permanent.
 */
export function grpcError(err: grpc.ServiceError): Error {
  const name = grpc.status[err.code] ?? String(err.code);
  const message = `gRPC ${name}: ${err.details}`;
  const retryAfterMs = retryInfoDelayMs(err.metadata);
  if (err.code === grpc.status.RESOURCE_EXHAUSTED) {
    return retryAfterMs === undefined ? new PermanentError(message) : new RetryableError(message, retryAfterMs, true);
  }
  if (RETRYABLE_CODES.has(err.code)) return new RetryableError(message, retryAfterMs);
  return new PermanentError(message);
}

/** The retry_delay of a google.rpc.RetryInfo inside the `grpc-status-details-bin` trailer, in ms. */
export function retryInfoDelayMs(metadata: grpc.Metadata | undefined): number | undefined {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    const status = rpcStatusType.decode(raw) as unknown as { details?: Array<{ typeUrl?: string; type_url?: string; value?: Uint8Array }> };
    // protobufjs substitutes its bundled google.protobuf.Any, which keeps the snake_case field name.
    const info = status.details?.find((d) => (d.type_url ?? d.typeUrl) === RETRY_INFO_TYPE);
    return info?.value ? decodeRetryDelay(info.value) : undefined;
  } catch {
    // Undecodable details are the server's problem; retrying with our own back-off is still right.
    return undefined;
  }
}

/** RetryInfo { Duration retry_delay = 1 }, Duration { int64 seconds = 1; int32 nanos = 2 }. */
function decodeRetryDelay(bytes: Uint8Array): number | undefined {
  const info = protobuf.Reader.create(bytes);
  while (info.pos < info.len) {
    const tag = info.uint32();
    if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
      info.skipType(tag & 7);
      continue;
    }
    const duration = protobuf.Reader.create(info.bytes());
    let seconds = 0;
    let nanos = 0;
    while (duration.pos < duration.len) {
      const t = duration.uint32();
      if (t >>> 3 === 1 && (t & 7) === 0) seconds = Number(duration.int64().toString());
      else if (t >>> 3 === 2 && (t & 7) === 0) nanos = duration.int32();
      else duration.skipType(t & 7);
    }
    return Math.max(0, seconds * 1000 + Math.round(nanos / 1e6));
  }
  return undefined;
}

// The OTLP/gRPC sender: encodes a batch, makes one unary Export call, and maps the outcome to
// the pipeline's retryable / permanent errors as the OTLP specification prescribes.
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { decodeExportResponse, otlpCodecs } from '../../codec/otlp-proto.js';
import { exportMethodPath } from '../../codec/otlp-grpc.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { PermanentError } from '../../pipeline/errors.js';
import { unaryCall } from '../grpc-client.js';

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
    this.reportPartialSuccess(await unaryCall(client, this.method, body, this.metadata, abort));
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

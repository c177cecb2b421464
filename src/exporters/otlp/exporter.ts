// The OTLP/gRPC sender: encodes a batch, makes one unary Export call, and maps the outcome to
// the pipeline's retryable / permanent errors as the OTLP specification prescribes.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { decodeExportResponse, joinEncodedRequests, otlpBuffer, otlpCodecs } from '../../codec/otlp-proto.js';
import { exportMethodPath } from '../../codec/otlp-grpc.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { baseChannelOptions, grpcCredentials, grpcMetadata, grpcTarget, unaryCall } from '../grpc-client.js';
import type { OtlpExporterConfig } from './config.js';

function channelOptions(config: OtlpExporterConfig): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    ...baseChannelOptions(config.tls),
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ [config.balancer_name]: {} }] }),
    'grpc.default_compression_algorithm': config.compression === 'gzip' ? grpc.compressionAlgorithms.gzip : grpc.compressionAlgorithms.identity,
  };
  if (config.keepalive.time !== undefined) options['grpc.keepalive_time_ms'] = config.keepalive.time;
  if (config.keepalive.timeout !== undefined) options['grpc.keepalive_timeout_ms'] = config.keepalive.timeout;
  if (config.keepalive.permit_without_stream) options['grpc.keepalive_permit_without_calls'] = 1;
  return options;
}

export class GrpcSender<S extends Signal> implements ExportSender<S, Buffer> {
  private readonly method: string;
  private readonly connect: () => grpc.Client;
  private readonly metadata: grpc.Metadata;
  /** Connects lazily: the channel exists from start() to shutdown(). */
  private client: grpc.Client | undefined;

  constructor(
    private readonly signal: S,
    config: OtlpExporterConfig,
    private readonly logger: Logger,
  ) {
    this.method = exportMethodPath(signal);
    const { target, secure } = grpcTarget(config.endpoint, config.tls);
    const credentials = grpcCredentials(secure, config.tls);
    const options = channelOptions(config);
    this.connect = () => new grpc.Client(target, credentials, options);
    this.metadata = grpcMetadata(config.headers);
  }

  async start(): Promise<void> {
    this.client ??= this.connect();
  }

  encode(data: SignalData[S]): Buffer[] {
    return [otlpBuffer(otlpCodecs[this.signal].encode(data))];
  }

  join(requests: Buffer[]): Buffer {
    return joinEncodedRequests(requests);
  }

  fromOtlp(otlp: Uint8Array): Buffer {
    return otlpBuffer(otlp);
  }

  async send(body: Buffer, _context: unknown, abort: AbortSignal): Promise<void> {
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

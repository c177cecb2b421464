// The Jaeger sender: one request per resource (a Jaeger batch carries one process), over gRPC
// api_v2 PostSpans or Thrift over HTTP, both encoded from the one OTLP → Jaeger model.
import * as grpc from '@grpc/grpc-js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import type { TracesData } from '../../pdata/types.js';
import { baseChannelOptions, grpcCredentials, grpcMetadata, grpcTarget, unaryCall } from '../grpc-client.js';
import { HttpTarget, throwUnlessOk } from '../http-post.js';
import { DEFAULT_ENDPOINT, type JaegerExporterConfig } from './config.js';
import { toJaegerBatches, type JaegerBatch } from './model.js';
import { encodePostSpans, POST_SPANS_PATH } from './proto.js';
import { encodeThriftBatch } from './thrift.js';

/** One wire format: encodes a batch and delivers it in one request. */
interface JaegerTransport {
  encode(batch: JaegerBatch): Buffer;
  post(body: Buffer, abort: AbortSignal): Promise<void>;
  close(): void;
}

interface JaegerRequest {
  body: Buffer;
  spans: number;
}

export class JaegerSender implements ExportSender<'traces', JaegerRequest> {
  private readonly transport: JaegerTransport;

  constructor(config: JaegerExporterConfig) {
    const endpoint = config.endpoint ?? DEFAULT_ENDPOINT[config.protocol];
    this.transport = config.protocol === 'thrift_http' ? thriftHttpTransport(endpoint, config) : grpcTransport(endpoint, config);
  }

  encode(data: TracesData): JaegerRequest[] {
    return toJaegerBatches(data).map((batch) => ({ body: this.transport.encode(batch), spans: batch.spans.length }));
  }

  send(request: JaegerRequest, _context: unknown, abort: AbortSignal): Promise<void> {
    return this.transport.post(request.body, abort);
  }

  itemsOf(request: JaegerRequest): number {
    return request.spans;
  }

  async shutdown(): Promise<void> {
    this.transport.close();
  }
}

function grpcTransport(endpoint: string, config: JaegerExporterConfig): JaegerTransport {
  const { target, secure } = grpcTarget(endpoint, config.tls);
  const credentials = grpcCredentials(secure, config.tls);
  const options = baseChannelOptions(config.tls);
  const metadata = grpcMetadata(config.headers);
  let client: grpc.Client | undefined;
  return {
    encode: encodePostSpans,
    async post(body, abort) {
      client ??= new grpc.Client(target, credentials, options);
      await unaryCall(client, POST_SPANS_PATH, body, metadata, abort);
    },
    close() {
      client?.close();
      client = undefined;
    },
  };
}

function thriftHttpTransport(endpoint: string, config: JaegerExporterConfig): JaegerTransport {
  const target = new HttpTarget(new URL(endpoint), config.tls, { ...config.headers, 'content-type': 'application/x-thrift', 'user-agent': 'sluice' });
  return {
    encode: encodeThriftBatch,
    async post(body, abort) {
      throwUnlessOk(await target.post(body, abort));
    },
    close: () => target.close(),
  };
}

// `jaeger`: traces to a Jaeger collector, over gRPC (api_v2 CollectorService/PostSpans, port
// 14250) or Thrift over HTTP (POST /api/traces, port 14268), both from one OTLP → Jaeger model.
import type http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import { PermanentError } from '../../pipeline/errors.js';
import { PartedSend } from '../../pipeline/parted-send.js';
import type { TracesData } from '../../pdata/types.js';
import { clientTlsSchema } from '../client-tls.js';
import { baseChannelOptions, grpcCredentials, grpcMetadata, grpcTarget, unaryCall } from '../grpc-client.js';
import { httpPost, keepAliveAgent, throwUnlessOk } from '../http-post.js';
import { toJaegerBatches, type JaegerBatch } from './model.js';
import { encodePostSpans, POST_SPANS_PATH } from './proto.js';
import { encodeThriftBatch } from './thrift.js';

const DEFAULT_ENDPOINT = { grpc: 'localhost:14250', thrift_http: 'http://localhost:14268/api/traces' } as const;

function endpointIssue(c: { protocol: 'grpc' | 'thrift_http'; endpoint?: string }): string | undefined {
  if (c.endpoint === undefined) return undefined;
  if (c.protocol === 'thrift_http' && !/^https?:\/\//i.test(c.endpoint)) return `thrift_http needs an http:// or https:// URL such as http://jaeger:14268/api/traces, got "${c.endpoint}"`;
  if (c.protocol === 'grpc' && /^[a-z]+:\/\/[^/]*\/./i.test(c.endpoint.trim())) return `grpc needs host:port such as jaeger:14250 (no path), got "${c.endpoint}"`;
  return undefined;
}

const jaegerSchema = s
  .object({
    protocol: s.enum(['grpc', 'thrift_http']).default('grpc'),
    /** grpc: host:port (`https://`/`http://` force TLS or plaintext); thrift_http: the collector's URL. */
    endpoint: s.string().optional(),
    /** gRPC metadata or HTTP headers on every request. */
    headers: s.map(s.string()).default({}),
    tls: clientTlsSchema,
    ...exporterHelperConfig,
  })
  .refine(endpointIssue);

export type JaegerExporterConfig = Infer<typeof jaegerSchema>;

/** One wire format: encodes a batch and delivers it in one request. */
interface JaegerTransport {
  readonly format: string;
  encode(batch: JaegerBatch): Buffer;
  post(body: Buffer, abort: AbortSignal): Promise<void>;
  close(): void;
}

/** A Jaeger request carries one process, so data from several resources takes several requests. */
class JaegerSender implements ExportSender<'traces'> {
  private readonly parts = new PartedSend<JaegerBatch>((batch) => batch.spans.length);

  constructor(private readonly transport: JaegerTransport) {}

  async send(data: TracesData, _context: unknown, abort: AbortSignal): Promise<void> {
    await this.parts.send(data, () => toJaegerBatches(data), (batch) => this.transport.post(this.encode(batch), abort));
  }

  private encode(batch: JaegerBatch): Buffer {
    try {
      return this.transport.encode(batch);
    } catch (err) {
      // What cannot be encoded now never will be: retrying would only hold up the queue.
      throw new PermanentError(`cannot encode spans as Jaeger ${this.transport.format}: ${(err as Error).message}`);
    }
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
    format: 'api_v2 protobuf',
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
  const url = new URL(endpoint);
  const agent: http.Agent = keepAliveAgent(url, config.tls);
  const headers = { ...config.headers, 'content-type': 'application/x-thrift', 'user-agent': 'sluice' };
  return {
    format: 'Thrift',
    encode: encodeThriftBatch,
    async post(body, abort) {
      throwUnlessOk(await httpPost(url, body, headers, agent, abort));
    },
    close() {
      agent.destroy();
    },
  };
}

export const jaegerExporterFactory: ExporterFactory<JaegerExporterConfig> = {
  kind: 'exporter',
  type: 'jaeger',
  description: 'sends traces to a Jaeger collector (gRPC api_v2 or Thrift over HTTP)',
  signals: ['traces'],
  schema: jaegerSchema,
  create(settings, config) {
    const endpoint = config.endpoint ?? DEFAULT_ENDPOINT[config.protocol];
    const transport = config.protocol === 'thrift_http' ? thriftHttpTransport(endpoint, config) : grpcTransport(endpoint, config);
    return createExporter(settings, 'traces', config, new JaegerSender(transport));
  },
};

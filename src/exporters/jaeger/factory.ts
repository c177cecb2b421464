// `jaeger`: traces to a Jaeger collector, over gRPC (api_v2 CollectorService/PostSpans, port
// 14250) or Thrift over HTTP (POST /api/traces, port 14268). One request per resource, since a
// Jaeger batch carries one process.
import type http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { TracesData } from '../../pdata/types.js';
import { rawBytes } from '../../codec/otlp-grpc.js';
import { clientTlsSchema } from '../client-tls.js';
import { httpPost, keepAliveAgent, throwUnlessOk } from '../http-post.js';
import { grpcError } from '../otlp/exporter.js';
import { grpcCredentials, grpcMetadata, grpcTarget } from '../otlp/factory.js';
import { toJaegerBatches, type JaegerBatch } from './model.js';
import { encodePostSpans, POST_SPANS_PATH } from './proto.js';
import { encodeThriftBatch } from './thrift.js';

const DEFAULT_ENDPOINT = { grpc: 'localhost:14250', thrift_http: 'http://localhost:14268/api/traces' } as const;

const jaegerSchema = s
  .object({
    protocol: s.enum(['grpc', 'thrift_http']).default('grpc'),
    /** grpc: host:port (`https://`/`http://` force TLS or plaintext); thrift_http: the collector's URL. */
    endpoint: s.string().optional(),
    headers: s.map(s.string()).default({}),
    tls: clientTlsSchema,
    ...exporterHelperConfig,
  })
  .refine((c) => (c.protocol === 'thrift_http' && c.endpoint !== undefined && !/^https?:\/\//.test(c.endpoint) ? `thrift_http needs an http:// or https:// URL such as http://jaeger:14268/api/traces, got "${c.endpoint}"` : undefined));

export type JaegerExporterConfig = Infer<typeof jaegerSchema>;

class JaegerGrpcSender implements ExportSender<'traces'> {
  private client: grpc.Client | undefined;

  constructor(
    private readonly connect: () => grpc.Client,
    private readonly metadata: grpc.Metadata,
  ) {}

  async send(data: TracesData, _context: unknown, abort: AbortSignal): Promise<void> {
    for (const batch of toJaegerBatches(data)) await this.post(batch, abort);
  }

  private post(batch: JaegerBatch, abort: AbortSignal): Promise<void> {
    const client = (this.client ??= this.connect());
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest(POST_SPANS_PATH, rawBytes, rawBytes, encodePostSpans(batch), this.metadata.clone(), (err) => {
        abort.removeEventListener('abort', cancel);
        if (err) reject(grpcError(err));
        else resolve();
      });
      const cancel = () => call.cancel();
      abort.addEventListener('abort', cancel, { once: true });
    });
  }

  async shutdown(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }
}

class JaegerThriftSender implements ExportSender<'traces'> {
  constructor(
    private readonly url: URL,
    private readonly headers: Record<string, string>,
    private readonly agent: http.Agent,
  ) {}

  async send(data: TracesData, _context: unknown, abort: AbortSignal): Promise<void> {
    for (const batch of toJaegerBatches(data)) {
      const reply = await httpPost(this.url, encodeThriftBatch(batch), { ...this.headers, 'content-type': 'application/x-thrift', 'user-agent': 'sluice' }, this.agent, abort);
      throwUnlessOk(reply, (status) => status >= 500 || status === 429 || status === 408);
    }
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }
}

export const jaegerExporterFactory: ExporterFactory<JaegerExporterConfig> = {
  kind: 'exporter',
  type: 'jaeger',
  description: 'sends traces to a Jaeger collector (gRPC api_v2 or Thrift over HTTP)',
  signals: ['traces'],
  schema: jaegerSchema,
  create(settings, config) {
    const endpoint = config.endpoint ?? DEFAULT_ENDPOINT[config.protocol];
    if (config.protocol === 'thrift_http') {
      const url = new URL(endpoint);
      return createExporter(settings, 'traces', config, new JaegerThriftSender(url, config.headers, keepAliveAgent(url, config.tls)));
    }
    const { target, secure } = grpcTarget(endpoint, config.tls);
    const credentials = grpcCredentials(secure, config.tls);
    const options: grpc.ChannelOptions = { 'grpc.primary_user_agent': 'sluice' };
    if (config.tls.server_name_override) options['grpc.ssl_target_name_override'] = config.tls.server_name_override;
    const sender = new JaegerGrpcSender(() => new grpc.Client(target, credentials, options), grpcMetadata(config.headers));
    return createExporter(settings, 'traces', config, sender);
  },
};

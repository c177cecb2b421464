// `otlp`: OTLP over gRPC to a collector or backend (Tempo, Jaeger, another Collector, ...).
import * as grpc from '@grpc/grpc-js';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../client-tls.js';
import { baseChannelOptions, grpcCredentials, grpcMetadata, grpcTarget } from '../grpc-client.js';
import { GrpcSender } from './exporter.js';

const otlpExporterSchema = s.object({
  /** host:port; an `https://` prefix forces TLS and `http://` plaintext, as in the Collector. */
  endpoint: s.string().required(),
  tls: clientTlsSchema,
  /** Sent as gRPC metadata on every request (e.g. X-Scope-OrgID for multi-tenant backends). */
  headers: s.map(s.string()).default({}),
  compression: s.enum(['gzip', 'none']).default('gzip'),
  balancer_name: s.enum(['pick_first', 'round_robin']).default('round_robin'),
  keepalive: s.object({
    time: s.duration().optional(),
    timeout: s.duration().optional(),
    permit_without_stream: s.bool().default(false),
  }),
  ...exporterHelperConfig,
});

export type OtlpExporterConfig = Infer<typeof otlpExporterSchema>;

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

export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  description: 'sends traces, metrics and logs over OTLP/gRPC',
  signals: ['traces', 'metrics', 'logs'],
  schema: otlpExporterSchema,
  create(settings, config, signal) {
    const { target, secure } = grpcTarget(config.endpoint, config.tls);
    const credentials = grpcCredentials(secure, config.tls);
    const options = channelOptions(config);
    const sender = new GrpcSender(signal, () => new grpc.Client(target, credentials, options), grpcMetadata(config.headers), settings.logger);
    return createExporter(settings, signal, config, sender);
  },
};

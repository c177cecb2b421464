// `otlp`: OTLP over gRPC to a collector or backend (Tempo, Jaeger, another Collector, ...).
import * as grpc from '@grpc/grpc-js';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema, loadClientTls, type ClientTlsConfig } from '../client-tls.js';
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

/** The grpc target and whether to use TLS: an explicit scheme wins over `tls.insecure`. */
export function grpcTarget(endpoint: string, tls: Pick<ClientTlsConfig, 'insecure'>): { target: string; secure: boolean } {
  const m = /^(https?):\/\/([^/]*)\/?$/i.exec(endpoint.trim());
  if (!m) return { target: endpoint.trim(), secure: !tls.insecure };
  return { target: m[2]!, secure: m[1]!.toLowerCase() === 'https' };
}

function channelOptions(config: OtlpExporterConfig): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    'grpc.primary_user_agent': 'sluice',
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ [config.balancer_name]: {} }] }),
    'grpc.default_compression_algorithm': config.compression === 'gzip' ? grpc.compressionAlgorithms.gzip : grpc.compressionAlgorithms.identity,
  };
  if (config.keepalive.time !== undefined) options['grpc.keepalive_time_ms'] = config.keepalive.time;
  if (config.keepalive.timeout !== undefined) options['grpc.keepalive_timeout_ms'] = config.keepalive.timeout;
  if (config.keepalive.permit_without_stream) options['grpc.keepalive_permit_without_calls'] = 1;
  if (config.tls.server_name_override) {
    options['grpc.ssl_target_name_override'] = config.tls.server_name_override;
    options['grpc.default_authority'] = config.tls.server_name_override;
  }
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
    const tls = loadClientTls(config.tls);
    const credentials = secure
      ? grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, { rejectUnauthorized: tls.rejectUnauthorized })
      : grpc.credentials.createInsecure();
    const options = channelOptions(config);
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(config.headers)) metadata.set(key, value);
    const sender = new GrpcSender(signal, () => new grpc.Client(target, credentials, options), metadata, settings.logger);
    return createExporter(settings, signal, config, sender);
  },
};

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

/** Channel credentials from the exporter's client TLS settings (plaintext when not `secure`). */
export function grpcCredentials(secure: boolean, tlsConfig: ClientTlsConfig): grpc.ChannelCredentials {
  if (!secure) return grpc.credentials.createInsecure();
  const tls = loadClientTls(tlsConfig);
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, { rejectUnauthorized: tls.rejectUnauthorized });
}

/** The metadata sent on every call: the exporter's `headers`. */
export function grpcMetadata(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
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
    const credentials = grpcCredentials(secure, config.tls);
    const options = channelOptions(config);
    const sender = new GrpcSender(signal, () => new grpc.Client(target, credentials, options), grpcMetadata(config.headers), settings.logger);
    return createExporter(settings, signal, config, sender);
  },
};

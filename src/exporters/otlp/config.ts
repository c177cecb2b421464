// The otlp exporter's config: the Collector's otlp (gRPC) exporter keys.
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../client-tls.js';

export const otlpExporterSchema = s.object({
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

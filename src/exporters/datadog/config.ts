// The datadog exporter's config: API key and site, the host fallback, one endpoint per signal, TLS.
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../client-tls.js';

export const datadogSchema = s.object({
  api: s.object({
    key: s
      .string()
      .required()
      .refine((k) => (k.trim() ? undefined : 'api.key is empty (is DD_API_KEY set?)')),
    site: s.string().default('datadoghq.com'),
  }),
  /** The host for data whose resource has no `host.name`. */
  hostname: s.string().optional(),
  metrics: s.object({
    /** Base URL; `/api/v2/series` (or v1) is appended. Default `https://api.<site>`. */
    endpoint: s.string().optional(),
    api_version: s.enum(['v1', 'v2']).default('v2'),
  }),
  traces: s.object({
    /** The Datadog Agent's trace API; `/v0.4/traces` is appended. */
    endpoint: s.string().default('http://localhost:8126'),
  }),
  logs: s.object({
    /** Base URL; `/api/v2/logs` is appended. Default `https://http-intake.logs.<site>`. */
    endpoint: s.string().optional(),
  }),
  tls: clientTlsSchema,
  ...exporterHelperConfig,
});

export type DatadogExporterConfig = Infer<typeof datadogSchema>;

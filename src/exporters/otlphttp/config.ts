// The otlphttp exporter's config: the Collector's otlphttp keys, and the URL each signal goes to.
import { s, type Infer } from '../../config/schema.js';
import type { Signal } from '../../pdata/types.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../client-tls.js';

const httpUrl = () =>
  s.string().refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : `expected an http:// or https:// URL, got "${v}"`;
    } catch {
      return `expected an http:// or https:// URL, got "${v}"`;
    }
  });

export const otlpHttpExporterSchema = s
  .object({
    /** Base URL; `/v1/traces`, `/v1/metrics` or `/v1/logs` is appended. */
    endpoint: httpUrl().optional(),
    /** Full URLs, used as they are. */
    traces_endpoint: httpUrl().optional(),
    metrics_endpoint: httpUrl().optional(),
    logs_endpoint: httpUrl().optional(),
    encoding: s.enum(['proto', 'json']).default('proto'),
    compression: s.enum(['gzip', 'none']).default('gzip'),
    headers: s.map(s.string()).default({}),
    tls: clientTlsSchema,
    ...exporterHelperConfig,
    // The Collector's HTTP client default, longer than the gRPC exporter's.
    timeout: s.duration().default(30_000),
  })
  .refine((c) =>
    c.endpoint || c.traces_endpoint || c.metrics_endpoint || c.logs_endpoint
      ? undefined
      : 'either "endpoint" or a per-signal endpoint ("traces_endpoint", "metrics_endpoint", "logs_endpoint") is required',
  );

export type OtlpHttpExporterConfig = Infer<typeof otlpHttpExporterSchema>;

/** The URL a signal is posted to: its own endpoint as-is, else the base endpoint plus `/v1/<signal>`. */
export function signalUrl(config: OtlpHttpExporterConfig, signal: Signal): URL {
  const own = config[`${signal}_endpoint`];
  if (own) return new URL(own);
  if (!config.endpoint) throw new Error(`no endpoint for ${signal}: set "endpoint" or "${signal}_endpoint"`);
  const base = config.endpoint.endsWith('/') ? config.endpoint : `${config.endpoint}/`;
  return new URL(`v1/${signal}`, base);
}

// The jaeger exporter's config: protocol, endpoint, headers and TLS, with the helper's keys.
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../client-tls.js';

export const DEFAULT_ENDPOINT = { grpc: 'localhost:14250', thrift_http: 'http://localhost:14268/api/traces' } as const;

function endpointIssue(c: { protocol: 'grpc' | 'thrift_http'; endpoint?: string }): string | undefined {
  if (c.endpoint === undefined) return undefined;
  if (c.protocol === 'thrift_http' && !/^https?:\/\//i.test(c.endpoint)) return `thrift_http needs an http:// or https:// URL such as http://jaeger:14268/api/traces, got "${c.endpoint}"`;
  if (c.protocol === 'grpc' && /^[a-z]+:\/\/[^/]*\/./i.test(c.endpoint.trim())) return `grpc needs host:port such as jaeger:14250 (no path), got "${c.endpoint}"`;
  return undefined;
}

export const jaegerSchema = s
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

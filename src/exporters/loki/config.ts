// The loki exporter's config: endpoint, encoding, line format, tenant, labels, auth and TLS.
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../client-tls.js';

export const lokiSchema = s
  .object({
    endpoint: s.string().required().refine((v) => (/^https?:\/\//.test(v) ? undefined : `expected an http:// or https:// URL such as http://loki:3100/loki/api/v1/push, got "${v}"`)),
    encoding: s.enum(['protobuf', 'json']).default('protobuf'),
    /** The line format unless a record's `loki.format` hint says otherwise. */
    format: s.enum(['json', 'logfmt', 'raw']).default('json'),
    structured_metadata: s.bool().default(false),
    tenant: s
      .object({
        source: s.enum(['static', 'attributes', 'context']).default('static'),
        /** The tenant (static), a resource attribute's name (attributes), or a request header's name (context). */
        value: s.string().required(),
      })
      .optional(),
    labels: s.object({
      resource: s.map(s.string()).default({}),
      attributes: s.map(s.string()).default({}),
    }),
    default_labels_enabled: s.object({
      exporter: s.bool().default(true),
      job: s.bool().default(true),
      instance: s.bool().default(true),
      level: s.bool().default(true),
    }),
    headers: s.map(s.string()).default({}),
    auth: s
      .object({
        username: s.string().optional(),
        password: s.string().optional(),
        bearer_token: s.string().optional(),
      })
      .refine((a) => {
        if (a.bearer_token && (a.username || a.password)) return 'use either username/password (basic) or bearer_token, not both';
        if (Boolean(a.username) !== Boolean(a.password)) return 'basic auth needs both username and password';
        return undefined;
      }),
    tls: clientTlsSchema,
    ...exporterHelperConfig,
  });

export type LokiExporterConfig = Infer<typeof lokiSchema>;

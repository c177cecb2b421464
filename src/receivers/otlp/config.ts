// The otlp receiver's configuration: the Collector's keys (otlpreceiver.Config).
import { s, type Infer } from '../../config/schema.js';
import { endpointProblem } from '../../config/endpoint.js';

// As in the Collector, 0 for either size limit means its default rather than "nothing fits".
export const DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4;
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 20 * 1024 * 1024;

const serverTls = s
  .object({
    cert_file: s.string().required(),
    key_file: s.string().required(),
    /** When set, clients must present a certificate signed by this CA (mTLS). */
    client_ca_file: s.string().optional(),
    // In the Collector's server TLS this only sets root CAs for outbound use, which a server never
    // makes; accepted so Collector configs load.
    ca_file: s.string().optional(),
  })
  .optional();

const grpcSchema = s.object({
  endpoint: s.string().default('0.0.0.0:4317').refine(endpointProblem),
  max_recv_msg_size_mib: s.number({ min: 0 }).default(DEFAULT_MAX_RECV_MSG_SIZE_MIB),
  max_concurrent_streams: s.int({ min: 0 }).optional(),
  // Go's socket buffer sizes have no grpc-js equivalent; accepted so Collector configs load.
  read_buffer_size: s.int({ min: 0 }).optional(),
  write_buffer_size: s.int({ min: 0 }).optional(),
  keepalive: s.object({
    server_parameters: s.object({
      max_connection_idle: s.duration().optional(),
      max_connection_age: s.duration().optional(),
      max_connection_age_grace: s.duration().optional(),
      time: s.duration().optional(),
      timeout: s.duration().optional(),
    }),
    enforcement_policy: s.object({
      min_time: s.duration().optional(),
      permit_without_stream: s.bool().default(false),
    }),
  }),
  tls: serverTls,
  include_metadata: s.bool().default(false),
});

const urlPath = (fallback: string) =>
  s
    .string()
    .default(fallback)
    .refine((p) => (p.startsWith('/') ? undefined : `expected a path starting with "/", got "${p}"`));

const httpSchema = s.object({
  endpoint: s.string().default('0.0.0.0:4318').refine(endpointProblem),
  traces_url_path: urlPath('/v1/traces'),
  metrics_url_path: urlPath('/v1/metrics'),
  logs_url_path: urlPath('/v1/logs'),
  /** Bytes; bounds both the body as sent and its decompressed size. */
  max_request_body_size: s.int({ min: 0 }).default(DEFAULT_MAX_REQUEST_BODY_SIZE),
  cors: s
    .object({
      allowed_origins: s.list(s.string()).default([]),
      allowed_headers: s.list(s.string()).default([]),
      max_age: s.int({ min: 0 }).optional(),
    })
    .optional(),
  tls: serverTls,
  include_metadata: s.bool().default(false),
});

export const otlpReceiverSchema = s
  .object({
    protocols: s.object({
      grpc: grpcSchema.presence(),
      http: httpSchema.presence(),
    }),
  })
  .refine((c) => (c.protocols.grpc || c.protocols.http ? undefined : 'at least one of protocols.grpc or protocols.http must be configured'));

export type OtlpReceiverConfig = Infer<typeof otlpReceiverSchema>;
export type OtlpGrpcConfig = NonNullable<OtlpReceiverConfig['protocols']['grpc']>;
export type OtlpHttpConfig = NonNullable<OtlpReceiverConfig['protocols']['http']>;

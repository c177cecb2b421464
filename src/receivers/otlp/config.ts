// The otlp receiver's configuration: the Collector's keys (otlpreceiver.Config).
import { s, type Infer } from '../../config/schema.js';
import { endpointProblem } from '../../config/endpoint.js';

// As in the Collector, 0 for either size limit means its default rather than "nothing fits".
export const DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4;
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 20 * 1024 * 1024;
/**
 * confighttp's NewDefaultServerConfig values for the header and idle timeouts; the Collector's otlp
 * receiver zeroes them for backward compatibility, which leaves slowloris clients connected forever.
 */
const DEFAULT_READ_HEADER_TIMEOUT_MS = 60_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/**
 * Go's default is none. OTLP clients give up on a request long before this (10s in the SDKs, 30s
 * in the Collector's exporters), so it only ever cuts a client trickling or stalling its body.
 */
const DEFAULT_READ_TIMEOUT_MS = 60_000;

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
    // grpc-js servers enforce no client ping policy (no GOAWAY for pinging too often);
    // accepted so Collector configs load.
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
  // Go's http.Server semantics: 0 is no limit, and a 0 header or idle timeout falls back to read_timeout.
  read_header_timeout: s.duration().default(DEFAULT_READ_HEADER_TIMEOUT_MS),
  read_timeout: s.duration().default(DEFAULT_READ_TIMEOUT_MS),
  /**
   * From the end of the request's headers to the last byte of the answer, pipeline wait included.
   * Off by default, as in the Collector's otlp receiver: cutting a request the pipeline still holds
   * makes the client retry data that may yet be accepted.
   */
  write_timeout: s.duration().default(0),
  idle_timeout: s.duration().default(DEFAULT_IDLE_TIMEOUT_MS),
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

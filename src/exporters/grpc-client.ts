// What every gRPC-speaking exporter shares: the Collector's endpoint/TLS rules, headers as
// metadata, one cancellable unary call with pre-encoded bytes, and the OTLP specification's
// mapping of gRPC status codes to retryable and permanent errors.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { rpcStatusType } from '../codec/otlp-proto.js';
import { rawBytes } from '../codec/otlp-grpc.js';
import { PermanentError, RETRY_INFO_TYPE, RetryableError } from '../pipeline/errors.js';
import { loadClientTls, type ClientTlsConfig } from './client-tls.js';

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

/** The options every exporter's channel starts from; the certificate name follows `server_name_override`. */
export function baseChannelOptions(tls: Pick<ClientTlsConfig, 'server_name_override'>): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = { 'grpc.primary_user_agent': 'sluice' };
  if (tls.server_name_override) {
    options['grpc.ssl_target_name_override'] = tls.server_name_override;
    options['grpc.default_authority'] = tls.server_name_override;
  }
  return options;
}

/** The metadata sent on every call: the exporter's `headers`. */
export function grpcMetadata(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}

/** One unary call of already-encoded bytes; rejects with grpcError's classification, cancels on abort. */
export function unaryCall(client: grpc.Client, path: string, body: Buffer, metadata: grpc.Metadata, abort: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const call = client.makeUnaryRequest(path, rawBytes, rawBytes, body, metadata.clone(), (err, response) => {
      abort.removeEventListener('abort', cancel);
      if (err) reject(grpcError(err));
      else resolve(response);
    });
    const cancel = () => call.cancel();
    abort.addEventListener('abort', cancel, { once: true });
  });
}

/** Codes after which the same request may succeed later (OTLP spec, "Failures" for gRPC). */
const RETRYABLE_CODES = new Set<grpc.status>([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

/**
 * RESOURCE_EXHAUSTED is retryable only when the server says when to come back (RetryInfo), as the
 * spec and the Collector have it: grpc itself uses that code for "message larger than the
 * server's limit", which no retry can fix, so without RetryInfo it is permanent.
 */
export function grpcError(err: grpc.ServiceError): Error {
  const name = grpc.status[err.code] ?? String(err.code);
  const message = `gRPC ${name}: ${err.details}`;
  const retryAfterMs = retryInfoDelayMs(err.metadata);
  if (err.code === grpc.status.RESOURCE_EXHAUSTED) {
    return retryAfterMs === undefined ? new PermanentError(message) : new RetryableError(message, retryAfterMs, true);
  }
  if (RETRYABLE_CODES.has(err.code)) return new RetryableError(message, retryAfterMs);
  return new PermanentError(message);
}

/** The retry_delay of a google.rpc.RetryInfo inside the `grpc-status-details-bin` trailer, in ms. */
export function retryInfoDelayMs(metadata: grpc.Metadata | undefined): number | undefined {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    const status = rpcStatusType.decode(raw) as unknown as { details?: Array<{ typeUrl?: string; type_url?: string; value?: Uint8Array }> };
    // protobufjs substitutes its bundled google.protobuf.Any, which keeps the snake_case field name.
    const info = status.details?.find((d) => (d.type_url ?? d.typeUrl) === RETRY_INFO_TYPE);
    return info?.value ? decodeRetryDelay(info.value) : undefined;
  } catch {
    // Undecodable details are the server's problem; retrying with our own back-off is still right.
    return undefined;
  }
}

/** RetryInfo { Duration retry_delay = 1 }, Duration { int64 seconds = 1; int32 nanos = 2 }. */
function decodeRetryDelay(bytes: Uint8Array): number | undefined {
  const info = protobuf.Reader.create(bytes);
  while (info.pos < info.len) {
    const tag = info.uint32();
    if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
      info.skipType(tag & 7);
      continue;
    }
    const duration = protobuf.Reader.create(info.bytes());
    let seconds = 0;
    let nanos = 0;
    while (duration.pos < duration.len) {
      const t = duration.uint32();
      if (t >>> 3 === 1 && (t & 7) === 0) seconds = Number(duration.int64().toString());
      else if (t >>> 3 === 2 && (t & 7) === 0) nanos = duration.int32();
      else duration.skipType(t & 7);
    }
    return Math.max(0, seconds * 1000 + Math.round(nanos / 1e6));
  }
  return undefined;
}

// OTLP protobuf: the request and response messages of the three Export services.
// Decode once at the receiver, encode once at the exporter; the decoded object is the pdata model.
import type protobuf from 'protobufjs';
import type { Signal, SignalData } from '../pdata/types.js';
import { loadProtos } from './proto-root.js';

export const otlpRoot = loadProtos([
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
]);

export interface OtlpSignalCodec<S extends Signal> {
  signal: S;
  /** Fully-qualified gRPC service name, e.g. `opentelemetry.proto.collector.trace.v1.TraceService`. */
  service: string;
  /** Default HTTP path, e.g. `/v1/traces`. */
  httpPath: string;
  request: protobuf.Type;
  response: protobuf.Type;
  /** The response's partial_success field holding the rejected count. */
  rejectedField: 'rejectedSpans' | 'rejectedDataPoints' | 'rejectedLogRecords';
  decode(bytes: Uint8Array): SignalData[S];
  encode(data: SignalData[S]): Uint8Array;
}

function signalCodec<S extends Signal>(
  signal: S,
  pkg: string,
  cap: string,
  rejectedField: OtlpSignalCodec<S>['rejectedField'],
): OtlpSignalCodec<S> {
  const request = otlpRoot.lookupType(`${pkg}.Export${cap}ServiceRequest`);
  const response = otlpRoot.lookupType(`${pkg}.Export${cap}ServiceResponse`);
  return {
    signal,
    service: `${pkg}.${cap}Service`,
    httpPath: `/v1/${signal}`,
    request,
    response,
    rejectedField,
    decode: (bytes) => request.decode(bytes) as unknown as SignalData[S],
    encode: (data) => request.encode(data as unknown as protobuf.Message).finish(),
  };
}

export const otlpCodecs: { [S in Signal]: OtlpSignalCodec<S> } = {
  traces: signalCodec('traces', 'opentelemetry.proto.collector.trace.v1', 'Trace', 'rejectedSpans'),
  metrics: signalCodec('metrics', 'opentelemetry.proto.collector.metrics.v1', 'Metrics', 'rejectedDataPoints'),
  logs: signalCodec('logs', 'opentelemetry.proto.collector.logs.v1', 'Logs', 'rejectedLogRecords'),
};

/**
 * The encoding of several Export requests merged into one: their bytes end to end. Every Export
 * request's only field is a repeated message (resource_spans / resource_metrics / resource_logs),
 * and protobuf parses concatenated encodings of a message as one with the repeated fields appended.
 */
export function joinEncodedRequests(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** OTLP bytes as a Buffer sharing their memory. */
export function otlpBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/** Encodes an Export response; an empty partial_success is omitted, as the spec asks for full success. */
export function encodeExportResponse(signal: Signal, partial?: PartialSuccess): Uint8Array {
  const codec = otlpCodecs[signal];
  if (!partial || (partial.rejected === 0 && !partial.errorMessage)) return codec.response.encode({}).finish();
  return codec.response
    .encode({ partialSuccess: { [codec.rejectedField]: partial.rejected, errorMessage: partial.errorMessage } })
    .finish();
}

/** Decodes an Export response into its partial_success, if any. */
export function decodeExportResponse(signal: Signal, bytes: Uint8Array): PartialSuccess | undefined {
  const codec = otlpCodecs[signal];
  const msg = codec.response.decode(bytes) as unknown as {
    partialSuccess?: Record<string, unknown> & { errorMessage?: string };
  };
  if (!msg.partialSuccess) return undefined;
  const rejected = Number(msg.partialSuccess[codec.rejectedField] ?? 0);
  return { rejected, errorMessage: msg.partialSuccess.errorMessage ?? '' };
}

export const rpcStatusType = otlpRoot.lookupType('google.rpc.Status');

/** A `google.rpc.Status` body, as OTLP/HTTP requires for error responses. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return rpcStatusType.encode({ code, message }).finish();
}

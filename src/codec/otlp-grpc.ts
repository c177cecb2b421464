// The OTLP Export services as grpc-js sees them: raw bytes in and out, so encoding and decoding
// stay with otlpCodecs (one decode per request, errors in our hands).
import type * as grpc from '@grpc/grpc-js';
import type { Signal } from '../pdata/types.js';
import { otlpCodecs } from './otlp-proto.js';

export const rawBytes = (b: Buffer): Buffer => b;

/** `/opentelemetry.proto.collector.trace.v1.TraceService/Export` and its siblings. */
export function exportMethodPath(signal: Signal): string {
  return `/${otlpCodecs[signal].service}/Export`;
}

/** A service definition with the single Export method, for grpc.Server#addService. */
export function exportServiceDefinition(signal: Signal): grpc.ServiceDefinition {
  return {
    Export: {
      path: exportMethodPath(signal),
      requestStream: false,
      responseStream: false,
      requestSerialize: rawBytes,
      requestDeserialize: rawBytes,
      responseSerialize: rawBytes,
      responseDeserialize: rawBytes,
    },
  };
}

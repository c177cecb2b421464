// Jaeger's api_v2 PostSpansRequest in protobuf, for the collector's gRPC CollectorService. The
// model is already in api_v2's shape, so protobufjs encodes it without a conversion pass.
import { loadProtos } from '../../codec/proto-root.js';
import type { JaegerBatch } from './model.js';

const postSpansRequestType = loadProtos(['jaeger/api_v2/collector.proto']).lookupType('jaeger.api_v2.PostSpansRequest');

export const POST_SPANS_PATH = '/jaeger.api_v2.CollectorService/PostSpans';

export function encodePostSpans(batch: JaegerBatch): Buffer {
  const bytes = postSpansRequestType.encode({ batch }).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

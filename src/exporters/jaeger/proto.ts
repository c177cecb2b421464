// Jaeger's api_v2 PostSpansRequest in protobuf, for the collector's gRPC CollectorService.
import Long from 'long';
import { loadProtos } from '../../codec/proto-root.js';
import type { JaegerBatch, JaegerTag } from './model.js';

const postSpansRequestType = loadProtos(['jaeger/api_v2/collector.proto']).lookupType('jaeger.api_v2.PostSpansRequest');

export const POST_SPANS_PATH = '/jaeger.api_v2.CollectorService/PostSpans';

const VALUE_TYPE: Record<JaegerTag['type'], number> = { string: 0, bool: 1, int64: 2, float64: 3, binary: 4 };
const REF_TYPE = { child_of: 0, follows_from: 1 } as const;
const NS = 1_000_000_000n;

const timestamp = (ns: bigint) => ({ seconds: Long.fromString((ns / NS).toString()), nanos: Number(ns % NS) });

function keyValue(tag: JaegerTag): Record<string, unknown> {
  const kv: Record<string, unknown> = { key: tag.key, vType: VALUE_TYPE[tag.type] };
  switch (tag.type) {
    case 'string':
      kv.vStr = tag.value;
      break;
    case 'bool':
      kv.vBool = tag.value;
      break;
    case 'int64':
      kv.vInt64 = Long.fromString(tag.value.toString());
      break;
    case 'float64':
      kv.vFloat64 = tag.value;
      break;
    case 'binary':
      kv.vBinary = tag.value;
      break;
  }
  return kv;
}

export function encodePostSpans(batch: JaegerBatch): Buffer {
  const message = {
    batch: {
      process: { serviceName: batch.process.serviceName, tags: batch.process.tags.map(keyValue) },
      spans: batch.spans.map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        operationName: span.operationName,
        references: span.references.map((r) => ({ traceId: r.traceId, spanId: r.spanId, refType: REF_TYPE[r.type] })),
        flags: span.flags,
        startTime: timestamp(span.startNs),
        duration: timestamp(span.durationNs),
        tags: span.tags.map(keyValue),
        logs: span.logs.map((log) => ({ timestamp: timestamp(log.timeNs), fields: log.fields.map(keyValue) })),
      })),
    },
  };
  const bytes = postSpansRequestType.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

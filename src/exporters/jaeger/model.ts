// OTLP spans → Jaeger's model, as the OpenTelemetry specification maps them (one Process per
// resource; kind, status, scope and trace state as tags; events as logs; parent and links as
// references). Both wire encodings (api_v2 protobuf, Thrift) are written from this one model.
import type { AnyValue, KeyValue, Span, TracesData } from '../../pdata/types.js';
import { anyValueToJs, getStringAttribute } from '../../pdata/attributes.js';
import { isEmptyId } from '../../pdata/ids.js';
import { int64ToBigInt } from '../../pdata/time.js';

export type TagValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int64'; value: bigint }
  | { type: 'float64'; value: number }
  | { type: 'binary'; value: Uint8Array };

export type JaegerTag = TagValue & { key: string };

export interface JaegerLog {
  timeNs: bigint;
  fields: JaegerTag[];
}

export interface JaegerRef {
  type: 'child_of' | 'follows_from';
  /** 16 bytes */
  traceId: Uint8Array;
  /** 8 bytes */
  spanId: Uint8Array;
}

export interface JaegerSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  /** Empty for a root span. */
  parentSpanId: Uint8Array;
  operationName: string;
  /** The parent first (CHILD_OF), then links (FOLLOWS_FROM). */
  references: JaegerRef[];
  flags: number;
  startNs: bigint;
  durationNs: bigint;
  tags: JaegerTag[];
  logs: JaegerLog[];
}

export interface JaegerBatch {
  process: { serviceName: string; tags: JaegerTag[] };
  spans: JaegerSpan[];
}

const KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];
/** Jaeger's SAMPLED flag: a span that reached an exporter was sampled. */
const SAMPLED = 1;

const str = (key: string, value: string): JaegerTag => ({ key, type: 'string', value });
const int = (key: string, value: number): JaegerTag => ({ key, type: 'int64', value: BigInt(value) });

/** Attribute types carry over; arrays and maps, which Jaeger has no type for, become JSON strings. */
export function toTag(key: string, value: AnyValue | undefined): JaegerTag {
  if (value?.stringValue != null) return str(key, value.stringValue);
  if (value?.boolValue != null) return { key, type: 'bool', value: value.boolValue };
  if (value?.intValue != null) return { key, type: 'int64', value: int64ToBigInt(value.intValue) };
  if (value?.doubleValue != null) return { key, type: 'float64', value: value.doubleValue };
  if (value?.bytesValue != null) return { key, type: 'binary', value: value.bytesValue };
  if (value?.arrayValue != null || value?.kvlistValue != null) return str(key, JSON.stringify(anyValueToJs(value)));
  return str(key, '');
}

const tags = (attrs: readonly KeyValue[] | undefined): JaegerTag[] => (attrs ?? []).map((kv) => toTag(kv.key, kv.value));

/** Jaeger ids are fixed width: OTLP's are already 16 and 8 bytes unless missing. */
function fixed(id: Uint8Array | undefined, width: number): Uint8Array {
  if (id && id.length === width) return id;
  const out = new Uint8Array(width);
  if (id) out.set(id.subarray(Math.max(0, id.length - width)), Math.max(0, width - id.length));
  return out;
}

function spanTags(span: Span, scope: { name?: string; version?: string } | undefined): JaegerTag[] {
  const out = tags(span.attributes);
  const kind = KINDS[span.kind ?? 0];
  if (kind) out.push(str('span.kind', kind));
  const code = span.status?.code ?? 0;
  if (code === 1) out.push(str('otel.status_code', 'OK'));
  if (code === 2) {
    out.push(str('otel.status_code', 'ERROR'));
    out.push({ key: 'error', type: 'bool', value: true });
  }
  if (span.status?.message) out.push(str('otel.status_description', span.status.message));
  if (scope?.name) out.push(str('otel.scope.name', scope.name));
  if (scope?.version) out.push(str('otel.scope.version', scope.version));
  if (span.traceState) out.push(str('w3c.tracestate', span.traceState));
  if (span.droppedAttributesCount) out.push(int('otel.dropped_attributes_count', span.droppedAttributesCount));
  if (span.droppedEventsCount) out.push(int('otel.dropped_events_count', span.droppedEventsCount));
  if (span.droppedLinksCount) out.push(int('otel.dropped_links_count', span.droppedLinksCount));
  return out;
}

export function toJaegerBatches(data: TracesData): JaegerBatch[] {
  const batches: JaegerBatch[] = [];
  for (const rs of data.resourceSpans ?? []) {
    const attrs = rs.resource?.attributes ?? [];
    const process = {
      serviceName: getStringAttribute(attrs, 'service.name') || 'unknown_service',
      tags: tags(attrs.filter((kv) => kv.key !== 'service.name')),
    };
    const spans: JaegerSpan[] = [];
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        const traceId = fixed(span.traceId, 16);
        const references: JaegerRef[] = [];
        if (!isEmptyId(span.parentSpanId)) references.push({ type: 'child_of', traceId, spanId: fixed(span.parentSpanId, 8) });
        // Link attributes have no place in a Jaeger reference; the specification drops them.
        for (const link of span.links ?? []) references.push({ type: 'follows_from', traceId: fixed(link.traceId, 16), spanId: fixed(link.spanId, 8) });
        const startNs = int64ToBigInt(span.startTimeUnixNano);
        const endNs = int64ToBigInt(span.endTimeUnixNano);
        spans.push({
          traceId,
          spanId: fixed(span.spanId, 8),
          parentSpanId: isEmptyId(span.parentSpanId) ? new Uint8Array(8) : fixed(span.parentSpanId, 8),
          operationName: span.name ?? '',
          references,
          flags: SAMPLED,
          startNs,
          durationNs: endNs > startNs ? endNs - startNs : 0n,
          tags: spanTags(span, ss.scope),
          logs: (span.events ?? []).map((event) => ({
            timeNs: int64ToBigInt(event.timeUnixNano),
            fields: [str('event', event.name ?? ''), ...tags(event.attributes)],
          })),
        });
      }
    }
    if (spans.length) batches.push({ process, spans });
  }
  return batches;
}

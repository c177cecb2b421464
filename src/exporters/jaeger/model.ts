// OTLP spans → Jaeger, as the OpenTelemetry specification maps them: one Process per resource;
// kind, status, scope, trace state and dropped counts as tags; events as logs; the parent and the
// links as references. The result is shaped as Jaeger's own api_v2 model, which is what protobufjs
// encodes for gRPC as it stands; the Thrift writer reads the same objects.
import Long from 'long';
import type { AnyValue, Int64, KeyValue, Span, TracesData } from '../../pdata/types.js';
import { anyValueToJs, getStringAttribute } from '../../pdata/attributes.js';
import { isEmptyId } from '../../pdata/ids.js';

/** api_v2 ValueType (Thrift's TagType orders them differently). */
export const ValueType = { STRING: 0, BOOL: 1, INT64: 2, FLOAT64: 3, BINARY: 4 } as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** Same numbers in api_v2 and Thrift. */
export const SpanRefType = { CHILD_OF: 0, FOLLOWS_FROM: 1 } as const;
export type SpanRefType = (typeof SpanRefType)[keyof typeof SpanRefType];

/** api_v2's KeyValue with only the value field its vType names. */
export type JaegerKeyValue = { key: string } & (
  | { vType: typeof ValueType.STRING; vStr: string }
  | { vType: typeof ValueType.BOOL; vBool: boolean }
  /** Signed. */
  | { vType: typeof ValueType.INT64; vInt64: Long }
  | { vType: typeof ValueType.FLOAT64; vFloat64: number }
  | { vType: typeof ValueType.BINARY; vBinary: Uint8Array }
);

/** google.protobuf.Timestamp and Duration alike: exact, since whole seconds stay below 2^53. */
export interface JaegerTime {
  seconds: number;
  nanos: number;
}

export interface JaegerSpanRef {
  /** 16 bytes. */
  traceId: Uint8Array;
  /** 8 bytes. */
  spanId: Uint8Array;
  refType: SpanRefType;
}

export interface JaegerLog {
  timestamp: JaegerTime;
  fields: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  operationName: string;
  /** The parent first, as CHILD_OF (the spec's rule for api_v2, which has no parent field), then links. */
  references: JaegerSpanRef[];
  flags: number;
  startTime: JaegerTime;
  duration: JaegerTime;
  tags: JaegerKeyValue[];
  logs: JaegerLog[];
}

export interface JaegerBatch {
  process: { serviceName: string; tags: JaegerKeyValue[] };
  spans: JaegerSpan[];
}

const KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];
/** Jaeger's SAMPLED flag: a span that reached an exporter was sampled. */
const SAMPLED = 1;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const NS_PER_SECOND = Long.fromInt(1_000_000_000, true);

const str = (key: string, vStr: string): JaegerKeyValue => ({ key, vType: ValueType.STRING, vStr });
const count = (key: string, n: number): JaegerKeyValue => ({ key, vType: ValueType.INT64, vInt64: Long.fromInt(n) });

/** Attribute types carry over; arrays and maps, which Jaeger has no type for, become JSON strings. */
export function toKeyValue(key: string, value: AnyValue | undefined): JaegerKeyValue {
  if (value?.stringValue != null) return str(key, value.stringValue);
  if (value?.boolValue != null) return { key, vType: ValueType.BOOL, vBool: value.boolValue };
  if (value?.intValue != null) return { key, vType: ValueType.INT64, vInt64: typeof value.intValue === 'number' ? Long.fromNumber(value.intValue) : value.intValue.toSigned() };
  if (value?.doubleValue != null) return { key, vType: ValueType.FLOAT64, vFloat64: value.doubleValue };
  if (value?.bytesValue != null) return { key, vType: ValueType.BINARY, vBinary: value.bytesValue };
  if (value?.arrayValue != null || value?.kvlistValue != null) return str(key, JSON.stringify(anyValueToJs(value)));
  return str(key, '');
}

/** `except` is a key the mapping writes itself (service.name, a status-driven `error`). */
function toKeyValues(attrs: readonly KeyValue[] | undefined, except?: string): JaegerKeyValue[] {
  const out: JaegerKeyValue[] = [];
  for (const kv of attrs ?? []) if (kv.key !== except) out.push(toKeyValue(kv.key, kv.value));
  return out;
}

function unsignedNanos(v: Int64 | undefined | null): Long {
  if (v == null) return Long.UZERO;
  return typeof v === 'number' ? Long.fromNumber(v, true) : v.toUnsigned();
}

function toTime(ns: Long): JaegerTime {
  const seconds = ns.divide(NS_PER_SECOND);
  return { seconds: seconds.toNumber(), nanos: ns.subtract(seconds.multiply(NS_PER_SECOND)).toNumber() };
}

/** Jaeger ids are fixed width: OTLP's are already 16 and 8 bytes unless missing. */
function fixed(id: Uint8Array | undefined, width: number): Uint8Array {
  if (id && id.length === width) return id;
  const out = new Uint8Array(width);
  if (id) out.set(id.subarray(Math.max(0, id.length - width)), Math.max(0, width - id.length));
  return out;
}

function spanTags(span: Span, scope: { name?: string; version?: string } | undefined): JaegerKeyValue[] {
  const code = span.status?.code ?? 0;
  // The spec lets the status's `error` tag override an attribute of that name rather than sit beside it.
  const out = toKeyValues(span.attributes, code === STATUS_ERROR ? 'error' : undefined);
  const kind = KINDS[span.kind ?? 0];
  if (kind) out.push(str('span.kind', kind));
  if (code === STATUS_OK) out.push(str('otel.status_code', 'OK'));
  if (code === STATUS_ERROR) {
    out.push(str('otel.status_code', 'ERROR'));
    out.push({ key: 'error', vType: ValueType.BOOL, vBool: true });
  }
  if (span.status?.message) out.push(str('otel.status_description', span.status.message));
  if (scope?.name) out.push(str('otel.scope.name', scope.name));
  if (scope?.version) out.push(str('otel.scope.version', scope.version));
  if (span.traceState) out.push(str('w3c.tracestate', span.traceState));
  if (span.droppedAttributesCount) out.push(count('otel.dropped_attributes_count', span.droppedAttributesCount));
  if (span.droppedEventsCount) out.push(count('otel.dropped_events_count', span.droppedEventsCount));
  if (span.droppedLinksCount) out.push(count('otel.dropped_links_count', span.droppedLinksCount));
  return out;
}

function toLogs(span: Span): JaegerLog[] {
  const logs: JaegerLog[] = [];
  for (const event of span.events ?? []) {
    const fields: JaegerKeyValue[] = [];
    // An `event` attribute is the OpenTracing spelling of the name and takes precedence over it.
    if (event.name && !event.attributes?.some((kv) => kv.key === 'event')) fields.push(str('event', event.name));
    for (const kv of event.attributes ?? []) fields.push(toKeyValue(kv.key, kv.value));
    if (event.droppedAttributesCount) fields.push(count('otel.dropped_attributes_count', event.droppedAttributesCount));
    logs.push({ timestamp: toTime(unsignedNanos(event.timeUnixNano)), fields });
  }
  return logs;
}

function toJaegerSpan(span: Span, scope: { name?: string; version?: string } | undefined): JaegerSpan {
  const traceId = fixed(span.traceId, 16);
  const references: JaegerSpanRef[] = [];
  if (!isEmptyId(span.parentSpanId)) references.push({ traceId, spanId: fixed(span.parentSpanId, 8), refType: SpanRefType.CHILD_OF });
  // Link attributes have no place in a Jaeger reference; the specification drops them.
  for (const link of span.links ?? []) references.push({ traceId: fixed(link.traceId, 16), spanId: fixed(link.spanId, 8), refType: SpanRefType.FOLLOWS_FROM });
  const start = unsignedNanos(span.startTimeUnixNano);
  const end = unsignedNanos(span.endTimeUnixNano);
  return {
    traceId,
    spanId: fixed(span.spanId, 8),
    operationName: span.name ?? '',
    references,
    flags: SAMPLED,
    startTime: toTime(start),
    duration: toTime(end.greaterThan(start) ? end.subtract(start) : Long.UZERO),
    tags: spanTags(span, scope),
    logs: toLogs(span),
  };
}

/** One batch per resource with spans, in order. */
export function toJaegerBatches(data: TracesData): JaegerBatch[] {
  const batches: JaegerBatch[] = [];
  for (const rs of data.resourceSpans ?? []) {
    const attrs = rs.resource?.attributes;
    const spans: JaegerSpan[] = [];
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push(toJaegerSpan(span, ss.scope));
    if (spans.length === 0) continue;
    // The spec's default resource names an unnamed service `unknown_service`.
    batches.push({ process: { serviceName: getStringAttribute(attrs, 'service.name') || 'unknown_service', tags: toKeyValues(attrs, 'service.name') }, spans });
  }
  return batches;
}

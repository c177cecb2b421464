// The in-memory data model: the OTLP request messages exactly as protobufjs decodes them
// (camelCase field names). Fields absent on the wire are absent (or inherited defaults) here,
// so readers must treat `undefined` as the proto3 default.
import type Long from 'long';

/** A 64-bit integer that survives a round trip exactly: protobufjs decodes to Long, producers may write a safe number. */
export type Int64 = Long | number;

export type Signal = 'traces' | 'metrics' | 'logs';
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
  kvlistValue?: { values: KeyValue[] };
  bytesValue?: Uint8Array;
  /** protobufjs's virtual oneof discriminator on decoded messages. */
  value?: string;
}

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface InstrumentationScope {
  name?: string;
  version?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface EntityRef {
  schemaUrl?: string;
  type?: string;
  idKeys: string[];
  descriptionKeys: string[];
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  entityRefs?: EntityRef[];
}

// ---- traces ----
export interface SpanEvent {
  timeUnixNano?: Int64;
  name?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface SpanLink {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface SpanStatus {
  message?: string;
  code?: number;
}

export interface Span {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Int64;
  endTimeUnixNano?: Int64;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  events: SpanEvent[];
  droppedEventsCount?: number;
  links: SpanLink[];
  droppedLinksCount?: number;
  status?: SpanStatus;
}

export interface ScopeSpans {
  scope?: InstrumentationScope;
  spans: Span[];
  schemaUrl?: string;
}

export interface ResourceSpans {
  resource?: Resource;
  scopeSpans: ScopeSpans[];
  schemaUrl?: string;
}

export interface TracesData {
  resourceSpans: ResourceSpans[];
}

// ---- metrics ----
export interface Exemplar {
  filteredAttributes: KeyValue[];
  timeUnixNano?: Int64;
  asDouble?: number;
  asInt?: Int64;
  spanId?: Uint8Array;
  traceId?: Uint8Array;
  value?: string;
}

export interface NumberDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  asDouble?: number;
  asInt?: Int64;
  exemplars: Exemplar[];
  flags?: number;
  value?: string;
}

export interface HistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number;
  bucketCounts: Int64[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  flags?: number;
  min?: number;
  max?: number;
}

export interface ExponentialHistogramBuckets {
  offset?: number;
  bucketCounts: Int64[];
}

export interface ExponentialHistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number;
  scale?: number;
  zeroCount?: Int64;
  positive?: ExponentialHistogramBuckets;
  negative?: ExponentialHistogramBuckets;
  flags?: number;
  exemplars: Exemplar[];
  min?: number;
  max?: number;
  zeroThreshold?: number;
}

export interface ValueAtQuantile {
  quantile?: number;
  value?: number;
}

export interface SummaryDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number;
  quantileValues: ValueAtQuantile[];
  flags?: number;
}

export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;

export interface Metric {
  name?: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints: NumberDataPoint[] };
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints: HistogramDataPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints: ExponentialHistogramDataPoint[]; aggregationTemporality?: number };
  summary?: { dataPoints: SummaryDataPoint[] };
  metadata?: KeyValue[];
  data?: string;
}

export interface ScopeMetrics {
  scope?: InstrumentationScope;
  metrics: Metric[];
  schemaUrl?: string;
}

export interface ResourceMetrics {
  resource?: Resource;
  scopeMetrics: ScopeMetrics[];
  schemaUrl?: string;
}

export interface MetricsData {
  resourceMetrics: ResourceMetrics[];
}

// ---- logs ----
export interface LogRecord {
  timeUnixNano?: Int64;
  observedTimeUnixNano?: Int64;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  eventName?: string;
}

export interface ScopeLogs {
  scope?: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl?: string;
}

export interface ResourceLogs {
  resource?: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl?: string;
}

export interface LogsData {
  resourceLogs: ResourceLogs[];
}

export interface SignalData {
  traces: TracesData;
  metrics: MetricsData;
  logs: LogsData;
}

export type AnyData = TracesData | MetricsData | LogsData;

/** Data with its signal, as a union the signal narrows: after `switch (p.signal)`, `p.data` has that signal's type. */
export type SignalPayload = { [S in Signal]: { readonly signal: S; readonly data: SignalData[S] } }[Signal];

/**
 * Pairs data with its signal so a switch on the signal types the data. TypeScript cannot narrow a
 * generic `SignalData[S]` by a check on `signal: S`; this is the one place that asserts the pairing
 * every caller's types already guarantee.
 */
export function payloadOf<S extends Signal>(signal: S, data: SignalData[S]): SignalPayload {
  return { signal, data } as SignalPayload;
}

// The debug sender: writes batches through the component's pino logger at one of the Collector's
// three verbosities. Values are rendered with the pdata display helpers (hex ids, decimal int64).
import type { Logger } from 'pino';
import {
  anyValueToJs,
  anyValueToString,
  attributesToJs,
  idToHex,
  int64ToString,
  metricPointCount,
  payloadOf,
  type Exemplar,
  type InstrumentationScope,
  type Int64,
  type KeyValue,
  type LogsData,
  type Metric,
  type MetricsData,
  type Resource,
  type Signal,
  type SignalData,
  type Span,
  type TracesData,
} from '../../pdata/index.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';

export type Verbosity = 'basic' | 'normal' | 'detailed';

/**
 * The Collector's log sampling: per one-second window, the first `initial` batches are written and
 * then every `thereafter`-th (0 writes none after the first ones). Time comes from the scheduler.
 */
export class BatchSampler {
  private window = Number.NaN;
  private seen = 0;

  constructor(
    private readonly initial: number,
    private readonly thereafter: number,
    private readonly now: () => number,
  ) {}

  allow(): boolean {
    const window = Math.floor(this.now() / 1000);
    if (window !== this.window) {
      this.window = window;
      this.seen = 0;
    }
    this.seen++;
    if (this.seen <= this.initial) return true;
    return this.thereafter > 0 && (this.seen - this.initial) % this.thereafter === 0;
  }
}

type Fields = Record<string, unknown>;

export class DebugSender<S extends Signal> implements ExportSender<S> {
  constructor(
    private readonly signal: S,
    private readonly verbosity: Verbosity,
    private readonly sampler: BatchSampler,
    private readonly logger: Logger,
  ) {}

  async send(data: SignalData[S]): Promise<void> {
    if (!this.sampler.allow()) return;
    const p = payloadOf(this.signal, data);
    switch (p.signal) {
      case 'traces':
        return this.traces(p.data);
      case 'metrics':
        return this.metrics(p.data);
      case 'logs':
        return this.logs(p.data);
    }
  }

  private traces(data: TracesData): void {
    let spans = 0;
    for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
    this.logger.info({ 'resource spans': data.resourceSpans.length, spans }, 'Traces');
    if (this.verbosity === 'basic') return;
    for (const rs of data.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          if (this.verbosity === 'normal') this.logger.info({ name: span.name ?? '', trace_id: idToHex(span.traceId), span_id: idToHex(span.spanId) }, 'Span');
          else this.logger.info({ ...context(rs.resource, ss.scope), ...spanDetail(span) }, 'Span');
        }
      }
    }
  }

  private metrics(data: MetricsData): void {
    let metrics = 0;
    let points = 0;
    for (const rm of data.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        metrics += sm.metrics.length;
        for (const m of sm.metrics) points += metricPointCount(m);
      }
    }
    this.logger.info({ 'resource metrics': data.resourceMetrics.length, metrics, 'data points': points }, 'Metrics');
    if (this.verbosity === 'basic') return;
    for (const rm of data.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const metric of sm.metrics) {
          if (this.verbosity === 'normal') this.logger.info({ name: metric.name ?? '', type: metricType(metric), data_points: metricPointCount(metric) }, 'Metric');
          else this.logger.info({ ...context(rm.resource, sm.scope), ...metricDetail(metric) }, 'Metric');
        }
      }
    }
  }

  private logs(data: LogsData): void {
    let records = 0;
    for (const rl of data.resourceLogs) for (const sl of rl.scopeLogs) records += sl.logRecords.length;
    this.logger.info({ 'resource logs': data.resourceLogs.length, 'log records': records }, 'Logs');
    if (this.verbosity === 'basic') return;
    for (const rl of data.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        for (const r of sl.logRecords) {
          if (this.verbosity === 'normal') {
            this.logger.info({ body: anyValueToString(r.body), severity_text: r.severityText || undefined }, 'LogRecord');
            continue;
          }
          this.logger.info(
            {
              ...context(rl.resource, sl.scope),
              time: int64ToString(r.timeUnixNano),
              observed_time: int64ToString(r.observedTimeUnixNano),
              severity_number: r.severityNumber ?? 0,
              severity_text: r.severityText ?? '',
              body: anyValueToJs(r.body),
              attributes: attributesToJs(r.attributes),
              trace_id: idToHex(r.traceId),
              span_id: idToHex(r.spanId),
              flags: r.flags ?? 0,
              event_name: r.eventName || undefined,
              dropped_attributes_count: r.droppedAttributesCount || undefined,
            },
            'LogRecord',
          );
        }
      }
    }
  }
}

function context(resource: Resource | undefined, scope: InstrumentationScope | undefined): Fields {
  return {
    resource: attributesToJs(resource?.attributes),
    scope: { name: scope?.name ?? '', version: scope?.version ?? '', attributes: attributesToJs(scope?.attributes) },
  };
}

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES = ['Unset', 'Ok', 'Error'];

function spanDetail(span: Span): Fields {
  return {
    name: span.name ?? '',
    trace_id: idToHex(span.traceId),
    span_id: idToHex(span.spanId),
    parent_span_id: idToHex(span.parentSpanId),
    trace_state: span.traceState ?? '',
    flags: span.flags ?? 0,
    span_kind: SPAN_KINDS[span.kind ?? 0] ?? String(span.kind),
    start_time: int64ToString(span.startTimeUnixNano),
    end_time: int64ToString(span.endTimeUnixNano),
    status: { code: STATUS_CODES[span.status?.code ?? 0] ?? String(span.status?.code), message: span.status?.message ?? '' },
    attributes: attributesToJs(span.attributes),
    events: span.events.map((e) => ({
      name: e.name ?? '',
      time: int64ToString(e.timeUnixNano),
      attributes: attributesToJs(e.attributes),
      dropped_attributes_count: e.droppedAttributesCount || undefined,
    })),
    links: span.links.map((l) => ({
      trace_id: idToHex(l.traceId),
      span_id: idToHex(l.spanId),
      trace_state: l.traceState ?? '',
      flags: l.flags ?? 0,
      attributes: attributesToJs(l.attributes),
      dropped_attributes_count: l.droppedAttributesCount || undefined,
    })),
    dropped_attributes_count: span.droppedAttributesCount || undefined,
    dropped_events_count: span.droppedEventsCount || undefined,
    dropped_links_count: span.droppedLinksCount || undefined,
  };
}

export function metricType(m: Metric): string {
  if (m.gauge) return 'Gauge';
  if (m.sum) return 'Sum';
  if (m.histogram) return 'Histogram';
  if (m.exponentialHistogram) return 'ExponentialHistogram';
  if (m.summary) return 'Summary';
  return 'Empty';
}

const TEMPORALITIES = ['Unspecified', 'Delta', 'Cumulative'];

function pointTimes(p: { attributes: KeyValue[]; startTimeUnixNano?: Int64; timeUnixNano?: Int64; flags?: number }): Fields {
  return { attributes: attributesToJs(p.attributes), start_time: int64ToString(p.startTimeUnixNano), time: int64ToString(p.timeUnixNano), flags: p.flags || undefined };
}

/** The set member of the as_int / as_double oneof: decoded messages name it, built ones just set it. */
function numberValue(p: { asInt?: Int64; asDouble?: number; value?: string }): string | number {
  const isInt = p.value ? p.value === 'asInt' : p.asInt != null;
  return isInt ? int64ToString(p.asInt) : (p.asDouble ?? 0);
}

function exemplars(list: Exemplar[] | undefined): Fields[] | undefined {
  if (!list?.length) return undefined;
  return list.map((e) => ({
    time: int64ToString(e.timeUnixNano),
    value: numberValue(e),
    trace_id: idToHex(e.traceId),
    span_id: idToHex(e.spanId),
    filtered_attributes: attributesToJs(e.filteredAttributes),
  }));
}

function metricDetail(m: Metric): Fields {
  const out: Fields = { name: m.name ?? '', description: m.description ?? '', unit: m.unit ?? '', type: metricType(m) };
  if (m.gauge) {
    out.data_points = m.gauge.dataPoints.map((p) => ({ ...pointTimes(p), value: numberValue(p), exemplars: exemplars(p.exemplars) }));
  } else if (m.sum) {
    out.aggregation_temporality = TEMPORALITIES[m.sum.aggregationTemporality ?? 0];
    out.is_monotonic = m.sum.isMonotonic ?? false;
    out.data_points = m.sum.dataPoints.map((p) => ({ ...pointTimes(p), value: numberValue(p), exemplars: exemplars(p.exemplars) }));
  } else if (m.histogram) {
    out.aggregation_temporality = TEMPORALITIES[m.histogram.aggregationTemporality ?? 0];
    out.data_points = m.histogram.dataPoints.map((p) => ({
      ...pointTimes(p),
      count: int64ToString(p.count),
      sum: p.sum,
      min: p.min,
      max: p.max,
      explicit_bounds: p.explicitBounds,
      bucket_counts: p.bucketCounts.map(int64ToString),
      exemplars: exemplars(p.exemplars),
    }));
  } else if (m.exponentialHistogram) {
    out.aggregation_temporality = TEMPORALITIES[m.exponentialHistogram.aggregationTemporality ?? 0];
    out.data_points = m.exponentialHistogram.dataPoints.map((p) => ({
      ...pointTimes(p),
      count: int64ToString(p.count),
      sum: p.sum,
      min: p.min,
      max: p.max,
      scale: p.scale ?? 0,
      zero_count: int64ToString(p.zeroCount),
      zero_threshold: p.zeroThreshold,
      positive: { offset: p.positive?.offset ?? 0, bucket_counts: (p.positive?.bucketCounts ?? []).map(int64ToString) },
      negative: { offset: p.negative?.offset ?? 0, bucket_counts: (p.negative?.bucketCounts ?? []).map(int64ToString) },
      exemplars: exemplars(p.exemplars),
    }));
  } else if (m.summary) {
    out.data_points = m.summary.dataPoints.map((p) => ({
      ...pointTimes(p),
      count: int64ToString(p.count),
      sum: p.sum,
      quantile_values: p.quantileValues.map((q) => ({ quantile: q.quantile ?? 0, value: q.value ?? 0 })),
    }));
  }
  return out;
}

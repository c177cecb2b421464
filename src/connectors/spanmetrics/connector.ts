// Spans → calls (sum) and duration (histogram) per resource and dimension set, sent every
// metrics_flush_interval. Spans are acknowledged as soon as they are counted (the state is
// bounded by the two cache sizes); a refused flush is logged and counted, like any derived data.
import type { SchedulerAction, Subscription } from 'rxjs';
import Long from 'long';
import type { Logger } from 'pino';
import type { Connector, Consumer, CreateSettings } from '../../pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../pipeline/envelope.js';
import { deliver } from '../../pipeline/fanout.js';
import { PermanentError } from '../../pipeline/errors.js';
import { AggregationTemporality, payloadOf, type Exemplar, type KeyValue, type Metric, type ResourceMetrics, type Span } from '../../pdata/types.js';
import { anyValueToString, findAttribute, getStringAttribute } from '../../pdata/attributes.js';
import { int64ToBigInt, nowUnixNano } from '../../pdata/time.js';
import { attributesKey } from '../../pdata/resource.js';
import { DEFAULT_BUCKETS_MS, type SpanMetricsConfig } from './config.js';

const KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

interface Exponential {
  scale: number;
  zero: number;
  /** bucket index → count */
  buckets: Map<number, number>;
}

interface Series {
  attributes: KeyValue[];
  start: Long;
  seenMs: number;
  calls: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  explicit?: number[];
  exponential?: Exponential;
  exemplars: Exemplar[];
}

interface ResourceState {
  attributes: KeyValue[];
  series: Map<string, Series>;
}

/** Keeps `map` under `max` entries, forgetting the least recently touched first. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): V {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/** The exponential bucket of a positive value at `scale`: (base^index, base^(index+1)]. */
const expIndex = (v: number, scale: number) => Math.ceil(Math.log2(v) * 2 ** scale) - 1;

function recordExponential(h: Exponential, v: number, maxSize: number): void {
  if (v <= 0) {
    h.zero++;
    return;
  }
  const index = expIndex(v, h.scale);
  h.buckets.set(index, (h.buckets.get(index) ?? 0) + 1);
  // Too wide for max_size: halve the resolution until the buckets fit.
  for (;;) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of h.buckets.keys()) {
      lo = Math.min(lo, i);
      hi = Math.max(hi, i);
    }
    if (hi - lo + 1 <= maxSize) return;
    const merged = new Map<number, number>();
    for (const [i, c] of h.buckets) merged.set(i >> 1, (merged.get(i >> 1) ?? 0) + c);
    h.buckets = merged;
    h.scale--;
  }
}

export class SpanMetricsConnector implements Connector {
  readonly mutates = false;
  private readonly resources = new Map<string, ResourceState>();
  private readonly bounds: number[];
  private readonly delta: boolean;
  private readonly unitScale: number;
  private readonly defaultDims: Set<string>;
  private readonly logger: Logger;
  private timer: Subscription | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: SpanMetricsConfig,
    private readonly next: Consumer,
  ) {
    this.logger = settings.logger;
    this.unitScale = config.histogram.unit === 's' ? 1000 : 1;
    this.bounds = (config.histogram.explicit?.buckets ?? DEFAULT_BUCKETS_MS).map((ms) => ms / this.unitScale);
    this.delta = config.aggregation_temporality === 'AGGREGATION_TEMPORALITY_DELTA';
    this.defaultDims = new Set(['service.name', 'span.name', 'span.kind', 'status.code'].filter((d) => !config.exclude_dimensions.includes(d)));
    settings.telemetry.callbackGauge('sluice_spanmetrics_series_tracked', 'Series held (bounded by the two cache sizes).', { connector: settings.id }, () => {
      let n = 0;
      for (const r of this.resources.values()) n += r.series.size;
      return n;
    });
  }

  consume(envelope: Envelope): void {
    const p = payloadOf(envelope.signal, envelope.data);
    // The factory pairs it with traces only; anything else is a wiring bug, refused rather than misread.
    if (p.signal !== 'traces') {
      envelope.nack(new PermanentError(`spanmetrics takes traces, not ${p.signal}`));
      return;
    }
    for (const rs of p.data.resourceSpans ?? []) {
      const resourceAttrs = rs.resource?.attributes ?? [];
      const keyAttrs = this.config.resource_metrics_key_attributes.length ? resourceAttrs.filter((kv) => this.config.resource_metrics_key_attributes.includes(kv.key)) : resourceAttrs;
      const rKey = attributesKey(keyAttrs);
      const resource = touch(this.resources, rKey, this.resources.get(rKey) ?? { attributes: resourceAttrs, series: new Map() }, this.config.resource_metrics_cache_size);
      for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) this.record(resource, resourceAttrs, span);
    }
    envelope.ack();
  }

  private record(resource: ResourceState, resourceAttrs: readonly KeyValue[], span: Span): void {
    const attrs: KeyValue[] = [];
    const add = (key: string, value: string) => attrs.push({ key, value: { stringValue: value } });
    const service = getStringAttribute(resourceAttrs, 'service.name');
    if (this.defaultDims.has('service.name') && service !== undefined) add('service.name', service);
    if (this.defaultDims.has('span.name')) add('span.name', span.name ?? '');
    if (this.defaultDims.has('span.kind')) add('span.kind', KINDS[span.kind ?? 0] ?? KINDS[0]!);
    if (this.defaultDims.has('status.code')) add('status.code', STATUS[span.status?.code ?? 0] ?? STATUS[0]!);
    for (const d of this.config.dimensions) {
      const value = findAttribute(span.attributes, d.name) ?? findAttribute(resourceAttrs, d.name);
      if (value) attrs.push({ key: d.name, value });
      else if (d.default !== undefined) add(d.name, d.default);
    }
    const key = attrs.map((kv) => `${kv.key}\u0000${anyValueToString(kv.value)}`).join('\u0001');
    const now = this.settings.scheduler.now();
    const series: Series =
      resource.series.get(key) ??
      ({
        attributes: attrs,
        start: nowUnixNano(now),
        seenMs: now,
        calls: 0,
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        exemplars: [],
        ...(this.config.histogram.exponential ? { exponential: { scale: 20, zero: 0, buckets: new Map() } } : { explicit: new Array<number>(this.bounds.length + 1).fill(0) }),
      } as Series);
    touch(resource.series, key, series, this.config.dimensions_cache_size);
    series.seenMs = now;
    series.calls++;
    if (this.config.histogram.disable) return;
    const durationNs = int64ToBigInt(span.endTimeUnixNano) - int64ToBigInt(span.startTimeUnixNano);
    const value = Number(durationNs > 0n ? durationNs : 0n) / 1e6 / this.unitScale;
    series.count++;
    series.sum += value;
    series.min = Math.min(series.min, value);
    series.max = Math.max(series.max, value);
    if (series.explicit) {
      // Buckets are upper-inclusive, as OTLP defines them.
      let i = 0;
      while (i < this.bounds.length && value > this.bounds[i]!) i++;
      series.explicit[i]!++;
    } else {
      recordExponential(series.exponential!, value, this.config.histogram.exponential!.max_size);
    }
    if (this.config.exemplars.enabled && series.exemplars.length < this.config.exemplars.max_per_data_point) {
      series.exemplars.push({ filteredAttributes: [], timeUnixNano: span.endTimeUnixNano, asDouble: value, traceId: span.traceId, spanId: span.spanId });
    }
  }

  /** Sends every series (cumulative totals, or the interval's deltas) and forgets expired ones. */
  flush(): void {
    const nowMs = this.settings.scheduler.now();
    const time = nowUnixNano(nowMs);
    const temporality = this.delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
    const out: ResourceMetrics[] = [];
    for (const resource of this.resources.values()) {
      const live = [...resource.series].filter(([key, s]) => {
        const expired = this.config.metrics_expiration > 0 && nowMs - s.seenMs > this.config.metrics_expiration;
        if (expired) resource.series.delete(key);
        return !expired && (!this.delta || s.calls > 0);
      });
      if (live.length === 0) continue;
      const series = live.map(([, s]) => s);
      const metrics: Metric[] = [
        {
          name: `${this.config.namespace}.calls`,
          sum: { isMonotonic: true, aggregationTemporality: temporality, dataPoints: series.map((s) => ({ attributes: s.attributes, startTimeUnixNano: s.start, timeUnixNano: time, asInt: s.calls, exemplars: [] })) },
        },
      ];
      if (!this.config.histogram.disable) metrics.push(this.durationMetric(series, time, temporality));
      out.push({ resource: { attributes: resource.attributes }, scopeMetrics: [{ scope: { name: 'spanmetricsconnector', attributes: [] }, metrics }] });
      for (const s of series) {
        s.exemplars = [];
        if (this.delta) this.reset(s, time);
      }
    }
    if (out.length === 0) return;
    const envelope = createEnvelope('metrics', { resourceMetrics: out }, receiverContext(this.settings.id), {
      ack: () => {},
      nack: (err) => this.logger.warn({ points: envelope.items, error: err.message }, 'span metrics were refused downstream and are lost for this interval'),
    });
    deliver(this.next, envelope);
  }

  private durationMetric(series: Series[], time: Long, temporality: number): Metric {
    const unit = this.config.histogram.unit;
    const name = `${this.config.namespace}.duration`;
    if (this.config.histogram.exponential) {
      return {
        name,
        unit,
        exponentialHistogram: {
          aggregationTemporality: temporality,
          dataPoints: series.map((s) => {
            const h = s.exponential!;
            const indices = [...h.buckets.keys()];
            const offset = indices.length ? Math.min(...indices) : 0;
            const length = indices.length ? Math.max(...indices) - offset + 1 : 0;
            const counts = Array.from({ length }, (_, i) => h.buckets.get(offset + i) ?? 0);
            return { attributes: s.attributes, startTimeUnixNano: s.start, timeUnixNano: time, count: s.count, sum: s.sum, scale: h.scale, zeroCount: h.zero, positive: { offset, bucketCounts: counts }, min: s.count ? s.min : undefined, max: s.count ? s.max : undefined, exemplars: s.exemplars };
          }),
        },
      };
    }
    return {
      name,
      unit,
      histogram: {
        aggregationTemporality: temporality,
        dataPoints: series.map((s) => ({ attributes: s.attributes, startTimeUnixNano: s.start, timeUnixNano: time, count: s.count, sum: s.sum, bucketCounts: [...s.explicit!], explicitBounds: this.bounds, min: s.count ? s.min : undefined, max: s.count ? s.max : undefined, exemplars: s.exemplars })),
      },
    };
  }

  private reset(s: Series, time: Long): void {
    s.start = time;
    s.calls = 0;
    s.count = 0;
    s.sum = 0;
    s.min = Infinity;
    s.max = -Infinity;
    if (s.explicit) s.explicit.fill(0);
    if (s.exponential) s.exponential = { scale: 20, zero: 0, buckets: new Map() };
  }

  async start(): Promise<void> {
    const interval = this.config.metrics_flush_interval;
    const flush = () => this.flush();
    this.timer = this.settings.scheduler.schedule(function (this: SchedulerAction<unknown>) {
      flush();
      this.schedule(undefined, interval);
    }, interval);
  }

  async shutdown(): Promise<void> {
    this.timer?.unsubscribe();
    this.flush();
  }
}

// Series are tracked per metric (resource + point attributes). A point of a known series always
// passes; a new series is admitted while the caps allow, otherwise the action applies: drop the
// point, strip the configured labels, or fold it into the metric's overflow series
// (`otel.metric.overflow="true"`, as the OpenTelemetry SDK does). Points that end up with the
// same attributes are re-aggregated: sums added, gauges last value, histograms merged.
import type { OperatorFunction } from 'rxjs';
import Long from 'long';
import type { Logger } from 'pino';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import type { Envelope } from '../../pipeline/envelope.js';
import { processorOperator } from '../../pipeline/processor-helper.js';
import type { HistogramDataPoint, KeyValue, Metric, MetricsData, NumberDataPoint } from '../../pdata/types.js';
import { anyValueToString } from '../../pdata/attributes.js';
import { attributesKey } from '../../pdata/resource.js';
import { int64ToBigInt } from '../../pdata/time.js';
import { forEachMetric } from '../metric-streams.js';
import { BloomFilter, hashPair, HyperLogLog } from './sketches.js';
import type { CardinalityLimiterConfig } from './config.js';

type Point = { attributes: KeyValue[]; timeUnixNano?: Long | number };

interface ExactState {
  series: Map<string, number>;
  /** label → value → last seen */
  labels: Map<string, Map<string, number>>;
}

interface SketchState {
  current: BloomFilter;
  previous?: BloomFilter;
  count: HyperLogLog;
  since: number;
}

interface MetricState {
  limit: number;
  maxValuesPerLabel: number;
  exact?: ExactState;
  sketch?: SketchState;
  lastWarning: number;
}

const OVERFLOW: KeyValue = { key: 'otel.metric.overflow', value: { boolValue: true } };

export class CardinalityLimiterProcessor implements Processor {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly metrics = new Map<string, MetricState>();
  private readonly overrides: { test: (name: string) => boolean; series?: number; values?: number }[];
  private readonly totalSketch = new HyperLogLog();
  private totalExact = 0;
  private lastSweep: number;
  private readonly logger: Logger;
  private readonly limited: (metric: string, action: string, n: number) => void;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: CardinalityLimiterConfig,
  ) {
    this.logger = settings.logger;
    this.lastSweep = settings.scheduler.now();
    this.overrides = config.overrides.map((o) => ({
      test: o.match_type === 'regexp' ? ((re: RegExp) => (n: string) => re.test(n))(new RegExp(o.metric)) : (n: string) => n === o.metric,
      series: o.max_series_per_metric,
      values: o.max_values_per_label,
    }));
    const counter = settings.telemetry.counter('sluice_cardinality_limited_points_total', 'Data points of new series over a cardinality cap, by the action taken.', ['processor', 'metric', 'action']);
    this.limited = (metric, action, n) => counter.inc({ processor: settings.id, metric, action }, n);
    this.operator = processorOperator(settings, 'metrics', { process: ({ data }) => (this.limit(data) > 0 ? data : undefined) });
  }

  private state(name: string): MetricState {
    let state = this.metrics.get(name);
    if (state) return state;
    const override = this.overrides.find((o) => o.test(name));
    const limit = override?.series ?? this.config.max_series_per_metric;
    state = { limit, maxValuesPerLabel: override?.values ?? this.config.max_values_per_label, lastWarning: -Infinity };
    if (this.config.mode === 'exact') state.exact = { series: new Map(), labels: new Map() };
    else state.sketch = { current: new BloomFilter(limit, this.config.false_positive_rate), count: new HyperLogLog(), since: this.settings.scheduler.now() };
    this.metrics.set(name, state);
    const self = state;
    this.settings.telemetry.callbackGauge('sluice_cardinality_series', 'Series tracked per metric (an estimate in probabilistic mode).', { processor: this.settings.id, metric: name }, () =>
      self.exact ? self.exact.series.size : Math.round(self.sketch!.count.estimate()),
    );
    return state;
  }

  private limit(data: MetricsData): number {
    const now = this.settings.scheduler.now();
    this.sweep(now);
    return forEachMetric(data, ({ metric, resourceId }) => {
      const name = metric.name ?? '';
      const body = (metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary) as { dataPoints: Point[] } | undefined;
      if (!body) return;
      const state = this.state(name);
      let limited = 0;
      const offending = new Map<string, Set<string>>();
      body.dataPoints = body.dataPoints.filter((point) => {
        if (this.admit(state, `${resourceId}\u0003${attributesKey(point.attributes)}`, point.attributes, now) === undefined) return true;
        limited++;
        for (const kv of point.attributes) {
          const values = offending.get(kv.key) ?? new Set<string>();
          values.add(anyValueToString(kv.value));
          offending.set(kv.key, values);
        }
        if (this.config.action === 'drop') return false;
        point.attributes = this.config.action === 'overflow' ? [OVERFLOW] : point.attributes.filter((kv) => !this.config.strip_labels.includes(kv.key));
        return true;
      });
      if (limited === 0) return;
      if (this.config.action !== 'drop') body.dataPoints = reaggregate(metric, body.dataPoints);
      this.limited(name, this.config.action, limited);
      this.warn(name, state, offending, now);
    });
  }

  /** Undefined when the point's series may pass; else the cap it would break. */
  private admit(state: MetricState, key: string, attributes: readonly KeyValue[], now: number): string | undefined {
    if (state.exact) {
      const { series, labels } = state.exact;
      if (series.has(key)) {
        series.set(key, now);
        for (const kv of attributes) labels.get(kv.key)?.set(anyValueToString(kv.value), now);
        return undefined;
      }
      if (series.size >= state.limit) return 'max_series_per_metric';
      if (this.config.max_series_total > 0 && this.totalExact >= this.config.max_series_total) return 'max_series_total';
      if (state.maxValuesPerLabel > 0) {
        for (const kv of attributes) {
          const values = labels.get(kv.key);
          if (values && values.size >= state.maxValuesPerLabel && !values.has(anyValueToString(kv.value))) return 'max_values_per_label';
        }
      }
      series.set(key, now);
      this.totalExact++;
      for (const kv of attributes) {
        const values = labels.get(kv.key) ?? new Map<string, number>();
        values.set(anyValueToString(kv.value), now);
        labels.set(kv.key, values);
      }
      return undefined;
    }
    const sketch = state.sketch!;
    const hashes = hashPair(key);
    if (sketch.current.has(hashes)) return undefined;
    if (sketch.previous?.has(hashes)) {
      sketch.current.add(hashes);
      sketch.count.add(hashes);
      return undefined;
    }
    if (sketch.count.estimate() >= state.limit) return 'max_series_per_metric';
    if (this.config.max_series_total > 0 && this.totalSketch.estimate() >= this.config.max_series_total) return 'max_series_total';
    sketch.current.add(hashes);
    sketch.count.add(hashes);
    this.totalSketch.add(hashes);
    return undefined;
  }

  /** Frees the slots of series unseen for series_ttl: exactly, or by rotating the sketches' generations. */
  private sweep(now: number): void {
    const ttl = this.config.series_ttl;
    if (now - this.lastSweep < Math.max(1, ttl / 10)) return;
    this.lastSweep = now;
    for (const state of this.metrics.values()) {
      if (state.exact) {
        for (const [key, seen] of state.exact.series) {
          if (now - seen < ttl) continue;
          state.exact.series.delete(key);
          this.totalExact--;
        }
        for (const values of state.exact.labels.values()) for (const [value, seen] of values) if (now - seen >= ttl) values.delete(value);
      } else if (now - state.sketch!.since >= ttl) {
        // Series seen in the last generation are carried over on sight; the count restarts.
        state.sketch = { current: new BloomFilter(state.limit, this.config.false_positive_rate), previous: state.sketch!.current, count: new HyperLogLog(), since: now };
      }
    }
  }

  private warn(metric: string, state: MetricState, offending: Map<string, Set<string>>, now: number): void {
    if (now - state.lastWarning < this.config.warning_interval) return;
    state.lastWarning = now;
    // The label with the most distinct values: tracked ones in exact mode, else among the points just limited.
    let label = '';
    let values = -1;
    const candidates = state.exact ? [...state.exact.labels].map(([k, v]) => [k, v.size] as const) : [...offending].map(([k, v]) => [k, v.size] as const);
    for (const [k, n] of candidates) if (n > values) [label, values] = [k, n];
    const series = state.exact ? state.exact.series.size : Math.round(state.sketch!.count.estimate());
    this.logger.warn({ metric, series, limit: state.limit, highest_cardinality_label: label, label_values: values, action: this.config.action }, 'metric over its cardinality limit: new series are being limited');
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

/** Merges points whose attributes became equal: sums added, gauges last value, histograms merged. */
function reaggregate(metric: Metric, points: Point[]): Point[] {
  const byKey = new Map<string, Point>();
  for (const p of points) {
    const key = attributesKey(p.attributes);
    const seen = byKey.get(key);
    byKey.set(key, seen ? merge(metric, seen, p) : p);
  }
  return [...byKey.values()];
}

function merge(metric: Metric, a: Point, b: Point): Point {
  const later = int64ToBigInt(b.timeUnixNano) >= int64ToBigInt(a.timeUnixNano) ? b : a;
  if (metric.sum) {
    const x = a as NumberDataPoint;
    const y = b as NumberDataPoint;
    const out: NumberDataPoint = { ...(later as NumberDataPoint) };
    if (x.asDouble != null || y.asDouble != null) {
      out.asDouble = (x.asDouble ?? Number(int64ToBigInt(x.asInt))) + (y.asDouble ?? Number(int64ToBigInt(y.asInt)));
      delete out.asInt;
    } else {
      out.asInt = Long.fromString((int64ToBigInt(x.asInt) + int64ToBigInt(y.asInt)).toString());
    }
    return out;
  }
  if (metric.histogram) {
    const x = a as HistogramDataPoint;
    const y = b as HistogramDataPoint;
    const same = x.explicitBounds.length === y.explicitBounds.length && x.explicitBounds.every((v, i) => v === y.explicitBounds[i]);
    if (!same) return later;
    const add = (p: Long | number | undefined, q: Long | number | undefined) => Long.fromString((int64ToBigInt(p) + int64ToBigInt(q)).toString(), true);
    return {
      ...(later as HistogramDataPoint),
      count: add(x.count, y.count),
      sum: (x.sum ?? 0) + (y.sum ?? 0),
      bucketCounts: x.bucketCounts.map((c, i) => add(c, y.bucketCounts[i])),
      min: x.min == null ? y.min : y.min == null ? x.min : Math.min(x.min, y.min),
      max: x.max == null ? y.max : y.max == null ? x.max : Math.max(x.max, y.max),
    } as HistogramDataPoint;
  }
  return later;
}

// The series a Prometheus scrape will see: OTLP points folded into their latest state per series.
// Delta points are added up into cumulative ones, exponential histograms become classic buckets,
// and series not updated within `metric_expiration` are removed by `expire()` (on a timer) and
// never shown by `read()`. At most `maxSeries` are held, so a flood of new label values costs
// dropped points rather than memory.
import type { HistogramDataPoint, Metric, MetricsData, NumberDataPoint, Exemplar, ExponentialHistogramDataPoint } from '../../pdata/types.js';
import { AggregationTemporality } from '../../pdata/types.js';
import { int64ToNumber, int64ToMillis } from '../../pdata/time.js';
import { idToHex, isEmptyId } from '../../pdata/ids.js';
import type { PrometheusKind } from '../../codec/prometheus-names.js';
import { exponentialToExplicit, prometheusKind, PrometheusLabeler, type LabelerOptions, type Labels } from '../../codec/prometheus-model.js';

export interface PromExemplar {
  value: number;
  timestampMs: number;
  traceId: string;
  spanId: string;
}

export interface SeriesBase {
  /** Base name: counters end in `_total`; histograms and summaries get `_bucket`/`_sum`/`_count` on write. */
  name: string;
  help: string;
  kind: PrometheusKind;
  labels: Labels;
  timestampMs: number;
  /** Scheduler time of the last update, for expiration. */
  updatedAt: number;
}

export type Series =
  | (SeriesBase & { kind: 'counter' | 'gauge'; value: number; exemplar?: PromExemplar })
  | (SeriesBase & { kind: 'histogram'; bounds: number[]; counts: number[]; sum: number; count: number; exemplars: (PromExemplar | undefined)[] })
  | (SeriesBase & { kind: 'summary'; quantiles: [number, number][]; sum: number; count: number });

export interface AccumulatorOptions extends LabelerOptions {
  expirationMs: number;
  /** Series held at most, target_info series included. */
  maxSeries: number;
  now: () => number;
  events: AccumulatorEvents;
}

/** What the exporter reports of the accumulator's bounds; called once per batch or sweep, never per point. */
export interface AccumulatorEvents {
  /** Points dropped because each would have started a series beyond maxSeries. */
  dropped(points: number): void;
  expired(series: number): void;
  /** The first point dropped since the accumulator was last below maxSeries. */
  limitReached(held: number): void;
  /** Expiry brought the series held back below maxSeries after limitReached. */
  limitCleared(held: number): void;
}

function numberValue(p: NumberDataPoint | Exemplar): number {
  return p.asDouble ?? (p.asInt !== undefined ? int64ToNumber(p.asInt) : 0);
}

function toExemplar(e: Exemplar | undefined): PromExemplar | undefined {
  if (!e || isEmptyId(e.traceId)) return undefined;
  return { value: numberValue(e), timestampMs: int64ToMillis(e.timeUnixNano), traceId: idToHex(e.traceId), spanId: idToHex(e.spanId) };
}

export class Accumulator {
  private readonly series = new Map<string, Series>();
  /** target_info per resource identity, with its own expiry. */
  private readonly targets = new Map<string, Series>();
  private readonly labeler: PrometheusLabeler;
  /** Points dropped in the current add(), reported once at its end. */
  private refused = 0;
  private atLimit = false;

  constructor(private readonly options: AccumulatorOptions) {
    this.labeler = new PrometheusLabeler(options);
  }

  /** Series held now. */
  get size(): number {
    return this.series.size + this.targets.size;
  }

  add(data: MetricsData): void {
    const now = this.options.now();
    this.refused = 0;
    for (const rm of data.resourceMetrics ?? []) {
      const resource = rm.resource?.attributes ?? [];
      const info = this.labeler.targetInfoLabels(resource);
      if (info) {
        const name = this.labeler.targetInfoName;
        const key = seriesKey(name, info);
        if (this.admits(this.targets.get(key))) {
          this.targets.set(key, { name, help: 'Target metadata', kind: 'gauge', labels: info, value: 1, timestampMs: Date.now(), updatedAt: now });
        }
      }
      for (const sm of rm.scopeMetrics ?? []) {
        const base = this.labeler.baseLabels(resource, sm.scope);
        for (const m of sm.metrics ?? []) this.addMetric(m, base, now);
      }
    }
    if (this.refused === 0) return;
    this.options.events.dropped(this.refused);
    if (!this.atLimit) {
      this.atLimit = true;
      this.options.events.limitReached(this.size);
    }
  }

  /** Removes the series not updated within the expiration. */
  expire(): void {
    this.sweep(undefined);
  }

  /** Every live series, expired ones removed first. */
  read(): Series[] {
    const live: Series[] = [];
    this.sweep(live);
    return live;
  }

  /** One pass for both expiry and read, so a scrape of many series walks them once. */
  private sweep(live: Series[] | undefined): void {
    const cutoff = this.options.now() - this.options.expirationMs;
    let removed = 0;
    for (const map of [this.series, this.targets]) {
      for (const [key, s] of map) {
        if (s.updatedAt < cutoff) {
          map.delete(key);
          removed++;
        } else live?.push(s);
      }
    }
    if (removed === 0) return;
    this.options.events.expired(removed);
    if (this.atLimit && this.size < this.options.maxSeries) {
      this.atLimit = false;
      this.options.events.limitCleared(this.size);
    }
  }

  /** Whether a point may be written: its series is held already, or there is room for one more. */
  private admits(prev: Series | undefined): boolean {
    if (prev || this.size < this.options.maxSeries) return true;
    this.refused++;
    return false;
  }

  private addMetric(m: Metric, base: Labels, now: number): void {
    const kind = prometheusKind(m);
    if (!kind) return;
    const name = this.labeler.metricName(m, kind);
    const help = m.description ?? '';
    if (m.gauge) {
      for (const p of m.gauge.dataPoints) this.setNumber(name, help, 'gauge', base, p, now, false);
    } else if (m.sum) {
      const delta = m.sum.aggregationTemporality === AggregationTemporality.DELTA;
      for (const p of m.sum.dataPoints) this.setNumber(name, help, kind as 'counter' | 'gauge', base, p, now, delta);
    } else if (m.histogram) {
      const delta = m.histogram.aggregationTemporality === AggregationTemporality.DELTA;
      for (const p of m.histogram.dataPoints) this.setHistogram(name, help, base, p, p.explicitBounds ?? [], p.bucketCounts.map(int64ToNumber), now, delta);
    } else if (m.exponentialHistogram) {
      const delta = m.exponentialHistogram.aggregationTemporality === AggregationTemporality.DELTA;
      for (const p of m.exponentialHistogram.dataPoints) {
        const { bounds, counts } = exponentialToExplicit(p);
        this.setHistogram(name, help, base, p, bounds, counts, now, delta);
      }
    } else if (m.summary) {
      for (const p of m.summary.dataPoints) {
        const labels = this.labeler.seriesLabels(base, p.attributes);
        const key = seriesKey(name, labels);
        if (!this.admits(this.series.get(key))) continue;
        this.series.set(key, {
          name,
          help,
          kind: 'summary',
          labels,
          quantiles: p.quantileValues.map((q) => [q.quantile ?? 0, q.value ?? 0]),
          sum: p.sum ?? 0,
          count: int64ToNumber(p.count),
          timestampMs: int64ToMillis(p.timeUnixNano),
          updatedAt: now,
        });
      }
    }
  }

  private setNumber(name: string, help: string, kind: 'counter' | 'gauge', base: Labels, p: NumberDataPoint, now: number, delta: boolean): void {
    const labels = this.labeler.seriesLabels(base, p.attributes);
    const key = seriesKey(name, labels);
    const prev = this.series.get(key);
    if (!this.admits(prev)) return;
    const value = numberValue(p);
    const next = delta && prev && (prev.kind === 'counter' || prev.kind === 'gauge') ? prev.value + value : value;
    this.series.set(key, {
      name,
      help,
      kind,
      labels,
      value: next,
      exemplar: toExemplar(p.exemplars[p.exemplars.length - 1]),
      timestampMs: int64ToMillis(p.timeUnixNano),
      updatedAt: now,
    });
  }

  private setHistogram(
    name: string,
    help: string,
    base: Labels,
    p: HistogramDataPoint | ExponentialHistogramDataPoint,
    bounds: number[],
    counts: number[],
    now: number,
    delta: boolean,
  ): void {
    const labels = this.labeler.seriesLabels(base, p.attributes);
    const key = seriesKey(name, labels);
    const prev = this.series.get(key);
    if (!this.admits(prev)) return;
    let sum = p.sum ?? 0;
    let count = int64ToNumber(p.count);
    let total = counts;
    if (delta && prev?.kind === 'histogram' && sameBounds(prev.bounds, bounds)) {
      total = counts.map((c, i) => c + (prev.counts[i] ?? 0));
      sum += prev.sum;
      count += prev.count;
    }
    // Exemplars go to the bucket their value falls in, as OpenMetrics shows them.
    const exemplars: (PromExemplar | undefined)[] = new Array(total.length).fill(undefined);
    for (const e of p.exemplars ?? []) {
      const ex = toExemplar(e);
      if (!ex) continue;
      let i = bounds.findIndex((b) => ex.value <= b);
      if (i < 0) i = total.length - 1;
      exemplars[i] = ex;
    }
    this.series.set(key, { name, help, kind: 'histogram', labels, bounds, counts: total, sum, count, exemplars, timestampMs: int64ToMillis(p.timeUnixNano), updatedAt: now });
  }
}

function sameBounds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function seriesKey(name: string, labels: Labels): string {
  let key = name;
  for (const [k, v] of labels) key += `\u0000${k}\u0001${v}`;
  return key;
}

// The series a Prometheus scrape will see: OTLP points folded into their latest state per series.
// Delta points are added up into cumulative ones, exponential histograms become classic buckets,
// and series not updated within `metric_expiration` are dropped at the next read.
import type { HistogramDataPoint, KeyValue, Metric, MetricsData, NumberDataPoint, Exemplar, ExponentialHistogramDataPoint } from '../../pdata/types.js';
import { AggregationTemporality } from '../../pdata/types.js';
import { int64ToNumber } from '../../pdata/time.js';
import { idToHex, isEmptyId } from '../../pdata/ids.js';
import { jobAndInstance, prometheusLabelName, prometheusLabels, prometheusMetricName, type PrometheusKind } from '../../codec/prometheus-names.js';

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
  labels: [string, string][];
  timestampMs: number;
  /** Scheduler time of the last update, for expiration. */
  updatedAt: number;
}

export type Series =
  | (SeriesBase & { kind: 'counter' | 'gauge'; value: number; exemplar?: PromExemplar })
  | (SeriesBase & { kind: 'histogram'; bounds: number[]; counts: number[]; sum: number; count: number; exemplars: (PromExemplar | undefined)[] })
  | (SeriesBase & { kind: 'summary'; quantiles: [number, number][]; sum: number; count: number });

export interface AccumulatorOptions {
  namespace?: string;
  addSuffixes: boolean;
  constLabels: Record<string, string>;
  resourceToTelemetry: boolean;
  expirationMs: number;
  now: () => number;
}

/** Resource attributes that become job/instance rather than target_info labels. */
const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

function numberValue(p: NumberDataPoint | Exemplar): number {
  return p.asDouble ?? (p.asInt !== undefined ? int64ToNumber(p.asInt) : 0);
}

function toExemplar(e: Exemplar | undefined): PromExemplar | undefined {
  if (!e || isEmptyId(e.traceId)) return undefined;
  return { value: numberValue(e), timestampMs: Math.floor(int64ToNumber(e.timeUnixNano) / 1e6), traceId: idToHex(e.traceId), spanId: idToHex(e.spanId) };
}

/** Classic buckets from an exponential histogram: each bucket's upper bound, ascending, with its count. */
export function exponentialToExplicit(p: ExponentialHistogramDataPoint): { bounds: number[]; counts: number[] } {
  const base = 2 ** (2 ** -(p.scale ?? 0));
  const bounds: number[] = [];
  const counts: number[] = [];
  const neg = p.negative?.bucketCounts ?? [];
  const negOffset = p.negative?.offset ?? 0;
  // Negative bucket i holds (-base^(offset+i+1), -base^(offset+i)]: largest magnitudes come first.
  for (let i = neg.length - 1; i >= 0; i--) {
    bounds.push(-(base ** (negOffset + i)));
    counts.push(int64ToNumber(neg[i]));
  }
  bounds.push(p.zeroThreshold ?? 0);
  counts.push(int64ToNumber(p.zeroCount));
  const pos = p.positive?.bucketCounts ?? [];
  const posOffset = p.positive?.offset ?? 0;
  for (let i = 0; i < pos.length; i++) {
    bounds.push(base ** (posOffset + i + 1));
    counts.push(int64ToNumber(pos[i]));
  }
  return { bounds, counts };
}

export class Accumulator {
  private readonly series = new Map<string, Series>();
  /** target_info per resource identity, with its own expiry. */
  private readonly targets = new Map<string, Series>();

  constructor(private readonly options: AccumulatorOptions) {}

  add(data: MetricsData): void {
    const now = this.options.now();
    for (const rm of data.resourceMetrics ?? []) {
      const resourceAttrs = rm.resource?.attributes ?? [];
      const base = this.resourceLabels(resourceAttrs);
      if (!this.options.resourceToTelemetry) this.addTargetInfo(resourceAttrs, base, now);
      for (const sm of rm.scopeMetrics ?? []) {
        const scope: [string, string][] = [];
        if (sm.scope?.name) scope.push(['otel_scope_name', sm.scope.name]);
        if (sm.scope?.version) scope.push(['otel_scope_version', sm.scope.version]);
        for (const m of sm.metrics ?? []) this.addMetric(m, [...base, ...scope], now);
      }
    }
  }

  /** Every live series, expired ones removed first. */
  read(): Series[] {
    const cutoff = this.options.now() - this.options.expirationMs;
    const live: Series[] = [];
    for (const map of [this.series, this.targets]) {
      for (const [key, s] of map) {
        if (s.updatedAt < cutoff) map.delete(key);
        else live.push(s);
      }
    }
    return live;
  }

  private resourceLabels(attrs: readonly KeyValue[]): [string, string][] {
    const out: [string, string][] = [];
    const { job, instance } = jobAndInstance(attrs);
    if (job !== undefined) out.push(['job', job]);
    if (instance !== undefined) out.push(['instance', instance]);
    if (this.options.resourceToTelemetry) {
      for (const [k, v] of prometheusLabels(attrs.filter((kv) => !IDENTIFYING.has(kv.key)))) out.push([k, v]);
    }
    for (const [k, v] of Object.entries(this.options.constLabels)) out.push([prometheusLabelName(k), v]);
    return out;
  }

  private addTargetInfo(attrs: readonly KeyValue[], base: [string, string][], now: number): void {
    const rest = attrs.filter((kv) => !IDENTIFYING.has(kv.key));
    if (rest.length === 0) return;
    const labels = mergeLabels(base, [...prometheusLabels(rest)]);
    const name = this.options.namespace ? `${prometheusMetricName('', undefined, 'gauge', { namespace: this.options.namespace, addSuffixes: false })}_target_info` : 'target_info';
    const key = seriesKey(name, labels);
    this.targets.set(key, { name, help: 'Target metadata', kind: 'gauge', labels, value: 1, timestampMs: Date.now(), updatedAt: now });
  }

  private addMetric(m: Metric, base: [string, string][], now: number): void {
    const nameOf = (kind: PrometheusKind) =>
      prometheusMetricName(m.name ?? '', m.unit, kind, { namespace: this.options.namespace, addSuffixes: this.options.addSuffixes });
    const help = m.description ?? '';
    if (m.gauge) {
      const name = nameOf('gauge');
      for (const p of m.gauge.dataPoints) this.setNumber(name, help, 'gauge', base, p, now, false);
    } else if (m.sum) {
      const cumulative = m.sum.aggregationTemporality !== AggregationTemporality.DELTA;
      const kind: PrometheusKind = m.sum.isMonotonic ? 'counter' : 'gauge';
      const name = nameOf(kind);
      for (const p of m.sum.dataPoints) this.setNumber(name, help, kind, base, p, now, !cumulative);
    } else if (m.histogram) {
      const cumulative = m.histogram.aggregationTemporality !== AggregationTemporality.DELTA;
      const name = nameOf('histogram');
      for (const p of m.histogram.dataPoints) {
        const bounds = p.explicitBounds ?? [];
        this.setHistogram(name, help, base, p, bounds, p.bucketCounts.map(int64ToNumber), now, !cumulative);
      }
    } else if (m.exponentialHistogram) {
      const cumulative = m.exponentialHistogram.aggregationTemporality !== AggregationTemporality.DELTA;
      const name = nameOf('histogram');
      for (const p of m.exponentialHistogram.dataPoints) {
        const { bounds, counts } = exponentialToExplicit(p);
        // The last classic bucket is +Inf: its bound is implied, so the final finite bound is dropped.
        this.setHistogram(name, help, base, p, bounds.slice(0, -1), counts, now, !cumulative);
      }
    } else if (m.summary) {
      const name = nameOf('summary');
      for (const p of m.summary.dataPoints) {
        const labels = mergeLabels(base, [...prometheusLabels(p.attributes)]);
        this.series.set(seriesKey(name, labels), {
          name,
          help,
          kind: 'summary',
          labels,
          quantiles: p.quantileValues.map((q) => [q.quantile ?? 0, q.value ?? 0]),
          sum: p.sum ?? 0,
          count: int64ToNumber(p.count),
          timestampMs: Math.floor(int64ToNumber(p.timeUnixNano) / 1e6),
          updatedAt: now,
        });
      }
    }
  }

  private setNumber(name: string, help: string, kind: 'counter' | 'gauge', base: [string, string][], p: NumberDataPoint, now: number, delta: boolean): void {
    const labels = mergeLabels(base, [...prometheusLabels(p.attributes)]);
    const key = seriesKey(name, labels);
    const prev = this.series.get(key);
    const value = numberValue(p);
    const next = delta && prev && (prev.kind === 'counter' || prev.kind === 'gauge') ? prev.value + value : value;
    this.series.set(key, {
      name,
      help,
      kind,
      labels,
      value: next,
      exemplar: toExemplar(p.exemplars[p.exemplars.length - 1]),
      timestampMs: Math.floor(int64ToNumber(p.timeUnixNano) / 1e6),
      updatedAt: now,
    });
  }

  private setHistogram(
    name: string,
    help: string,
    base: [string, string][],
    p: HistogramDataPoint | ExponentialHistogramDataPoint,
    bounds: number[],
    counts: number[],
    now: number,
    delta: boolean,
  ): void {
    const labels = mergeLabels(base, [...prometheusLabels(p.attributes)]);
    const key = seriesKey(name, labels);
    const prev = this.series.get(key);
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
    this.series.set(key, { name, help, kind: 'histogram', labels, bounds, counts: total, sum, count, exemplars, timestampMs: Math.floor(int64ToNumber(p.timeUnixNano) / 1e6), updatedAt: now });
  }
}

function sameBounds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Later sources win on the same label name (point attributes over resource and constant labels). */
function mergeLabels(base: [string, string][], own: [string, string][]): [string, string][] {
  const map = new Map(base);
  for (const [k, v] of own) map.set(k, v);
  return [...map].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

function seriesKey(name: string, labels: [string, string][]): string {
  let key = name;
  for (const [k, v] of labels) key += `\u0000${k}\u0001${v}`;
  return key;
}

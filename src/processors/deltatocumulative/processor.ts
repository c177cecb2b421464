// Delta → cumulative per stream. Each point is added to its stream's running total and leaves as
// the total since the stream's first point. A point not newer than the stream's last, or one whose
// interval overlaps what was already added, is dropped (it would count twice). Histograms whose
// bounds change start over; exponential histograms of different scales are merged at the coarser.
import type { OperatorFunction } from 'rxjs';
import Long from 'long';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import type { Envelope } from '../../pipeline/envelope.js';
import { processorOperator } from '../../pipeline/processor-helper.js';
import {
  AggregationTemporality,
  type ExponentialHistogramBuckets,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  type Int64,
  type MetricsData,
  type NumberDataPoint,
} from '../../pdata/types.js';
import { int64ToBigInt } from '../../pdata/time.js';
import { forEachMetric, MetricFilter, StreamTable, streamKey } from '../metric-streams.js';
import type { DeltaToCumulativeConfig } from './config.js';

const big = (v: Int64 | undefined) => int64ToBigInt(v);
const toLong = (v: bigint): Long => Long.fromString(v.toString(), true);

interface Total {
  start: bigint;
  time: bigint;
  int?: bigint;
  double?: number;
  count?: bigint;
  sum?: number;
  min?: number;
  max?: number;
  buckets?: bigint[];
  bounds?: number[];
  scale?: number;
  zeroCount?: bigint;
  zeroThreshold?: number;
  positive?: Buckets;
  negative?: Buckets;
}

interface Buckets {
  offset: number;
  counts: bigint[];
}

const bucketsOf = (b: ExponentialHistogramBuckets | undefined): Buckets => ({ offset: b?.offset ?? 0, counts: (b?.bucketCounts ?? []).map(big) });

/** Buckets at `scale` re-expressed at the coarser `target` scale: each 2^(scale-target) neighbours merge. */
function downscale(b: Buckets, scale: number, target: number): Buckets {
  const shift = scale - target;
  if (shift === 0 || b.counts.length === 0) return b;
  const offset = b.offset >> shift;
  const counts: bigint[] = [];
  b.counts.forEach((c, i) => {
    const index = ((b.offset + i) >> shift) - offset;
    counts[index] = (counts[index] ?? 0n) + c;
  });
  return { offset, counts: Array.from(counts, (c) => c ?? 0n) };
}

function addBuckets(a: Buckets, b: Buckets): Buckets {
  if (a.counts.length === 0) return b;
  if (b.counts.length === 0) return a;
  const offset = Math.min(a.offset, b.offset);
  const end = Math.max(a.offset + a.counts.length, b.offset + b.counts.length);
  const counts = Array.from({ length: end - offset }, () => 0n);
  a.counts.forEach((c, i) => (counts[a.offset - offset + i]! += c));
  b.counts.forEach((c, i) => (counts[b.offset - offset + i]! += c));
  return { offset, counts };
}

const minOf = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
const maxOf = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

export class DeltaToCumulativeProcessor implements Processor {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly filter: MetricFilter;
  private readonly streams: StreamTable<Total>;
  private readonly dropped: (reason: string, n: number) => void;

  constructor(settings: CreateSettings, config: DeltaToCumulativeConfig) {
    this.filter = new MetricFilter(config);
    this.streams = new StreamTable(config.max_streams, config.max_stale, () => settings.scheduler.now());
    const counter = settings.telemetry.counter('otelcol_deltatocumulative_datapoints_dropped', 'Delta points dropped instead of accumulated, by reason.', ['processor', 'reason']);
    this.dropped = (reason, n) => counter.inc({ processor: settings.id, reason }, n);
    settings.telemetry.callbackGauge('otelcol_deltatocumulative_streams_tracked', 'Streams whose running totals are held.', { processor: settings.id }, () => this.streams.size);
    this.operator = processorOperator(settings, 'metrics', { process: ({ data }) => (this.accumulate(data) > 0 ? data : undefined) });
  }

  private accumulate(data: MetricsData): number {
    this.streams.sweep();
    return forEachMetric(data, ({ metric, resourceId, scopeId }) => {
      const name = metric.name ?? '';
      if (metric.sum?.aggregationTemporality === AggregationTemporality.DELTA && this.filter.matches(name, 'sum')) {
        metric.sum.dataPoints = metric.sum.dataPoints.filter((p) => this.add(streamKey(resourceId, scopeId, metric, 'sum', p.attributes), p, sumTotal));
        metric.sum.aggregationTemporality = AggregationTemporality.CUMULATIVE;
      }
      if (metric.histogram?.aggregationTemporality === AggregationTemporality.DELTA && this.filter.matches(name, 'histogram')) {
        metric.histogram.dataPoints = metric.histogram.dataPoints.filter((p) => this.add(streamKey(resourceId, scopeId, metric, 'histogram', p.attributes), p, histogramTotal));
        metric.histogram.aggregationTemporality = AggregationTemporality.CUMULATIVE;
      }
      const expo = metric.exponentialHistogram;
      if (expo?.aggregationTemporality === AggregationTemporality.DELTA && this.filter.matches(name, 'exponential_histogram')) {
        expo.dataPoints = expo.dataPoints.filter((p) => this.add(streamKey(resourceId, scopeId, metric, 'exponential_histogram', p.attributes), p, exponentialTotal));
        expo.aggregationTemporality = AggregationTemporality.CUMULATIVE;
      }
    });
  }

  /** Adds the point to its stream and rewrites it as the running total; false drops it. */
  private add<P extends { startTimeUnixNano?: Int64; timeUnixNano?: Int64 }>(key: string, p: P, kind: TotalKind<P>): boolean {
    const time = big(p.timeUnixNano);
    const start = big(p.startTimeUnixNano) || time;
    const prev = this.streams.get(key);
    if (prev) {
      if (time <= prev.time) return this.drop('out_of_order');
      if (start < prev.time) return this.drop('overlapping_interval');
    }
    const total = prev ? kind.add(prev, p) : undefined;
    const next = total ?? { ...kind.from(p), start };
    next.time = time;
    if (!this.streams.set(key, next)) return this.drop('stream_limit');
    p.startTimeUnixNano = toLong(next.start);
    kind.write(next, p);
    return true;
  }

  private drop(reason: string): false {
    this.dropped(reason, 1);
    return false;
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

/** How one point type starts a total, adds to one (undefined: start over), and is rewritten from one. */
interface TotalKind<P> {
  from(p: P): Total;
  add(total: Total, p: P): Total | undefined;
  write(total: Total, p: P): void;
}

const sumTotal: TotalKind<NumberDataPoint> = {
  from: (p) => ({ start: 0n, time: 0n, ...(p.asDouble != null ? { double: p.asDouble } : { int: big(p.asInt) }) }),
  add: (t, p) => (p.asDouble != null ? { ...t, double: (t.double ?? Number(t.int ?? 0n)) + p.asDouble, int: undefined } : { ...t, int: (t.int ?? 0n) + big(p.asInt) }),
  write: (t, p) => {
    if (t.double !== undefined) {
      p.asDouble = t.double;
      delete p.asInt;
    } else {
      p.asInt = toLong(t.int ?? 0n);
    }
  },
};

const histogramTotal: TotalKind<HistogramDataPoint> = {
  from: (p) => ({ start: 0n, time: 0n, count: big(p.count), sum: p.sum ?? 0, min: p.min ?? undefined, max: p.max ?? undefined, buckets: p.bucketCounts.map(big), bounds: p.explicitBounds }),
  add: (t, p) => {
    const same = t.bounds!.length === p.explicitBounds.length && t.bounds!.every((b, i) => b === p.explicitBounds[i]);
    if (!same) return undefined;
    return { ...t, count: t.count! + big(p.count), sum: t.sum! + (p.sum ?? 0), min: minOf(t.min, p.min ?? undefined), max: maxOf(t.max, p.max ?? undefined), buckets: t.buckets!.map((c, i) => c + big(p.bucketCounts[i])) };
  },
  write: (t, p) => {
    p.count = toLong(t.count!);
    p.sum = t.sum;
    p.bucketCounts = t.buckets!.map(toLong);
    if (t.min !== undefined) p.min = t.min;
    if (t.max !== undefined) p.max = t.max;
  },
};

const exponentialTotal: TotalKind<ExponentialHistogramDataPoint> = {
  from: (p) => ({
    start: 0n,
    time: 0n,
    count: big(p.count),
    sum: p.sum ?? 0,
    min: p.min ?? undefined,
    max: p.max ?? undefined,
    scale: p.scale ?? 0,
    zeroCount: big(p.zeroCount),
    zeroThreshold: p.zeroThreshold ?? 0,
    positive: bucketsOf(p.positive),
    negative: bucketsOf(p.negative),
  }),
  add: (t, p) => {
    const scale = Math.min(t.scale!, p.scale ?? 0);
    return {
      ...t,
      count: t.count! + big(p.count),
      sum: t.sum! + (p.sum ?? 0),
      min: minOf(t.min, p.min ?? undefined),
      max: maxOf(t.max, p.max ?? undefined),
      scale,
      zeroCount: t.zeroCount! + big(p.zeroCount),
      zeroThreshold: Math.max(t.zeroThreshold!, p.zeroThreshold ?? 0),
      positive: addBuckets(downscale(t.positive!, t.scale!, scale), downscale(bucketsOf(p.positive), p.scale ?? 0, scale)),
      negative: addBuckets(downscale(t.negative!, t.scale!, scale), downscale(bucketsOf(p.negative), p.scale ?? 0, scale)),
    };
  },
  write: (t, p) => {
    p.count = toLong(t.count!);
    p.sum = t.sum;
    p.scale = t.scale;
    p.zeroCount = toLong(t.zeroCount!);
    p.zeroThreshold = t.zeroThreshold;
    p.positive = { offset: t.positive!.offset, bucketCounts: t.positive!.counts.map(toLong) };
    p.negative = { offset: t.negative!.offset, bucketCounts: t.negative!.counts.map(toLong) };
    if (t.min !== undefined) p.min = t.min;
    if (t.max !== undefined) p.max = t.max;
  },
};

// Cumulative → delta per stream. A point's delta is its value minus the stream's previous one,
// from the previous point's time to its own. A smaller value or a later start time is a reset:
// the new value is the increase since the reset. Points not newer than the previous are dropped.
import type { OperatorFunction } from 'rxjs';
import Long from 'long';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import type { Envelope } from '../../pipeline/envelope.js';
import { processorOperator } from '../../pipeline/processor-helper.js';
import { AggregationTemporality, type HistogramDataPoint, type Int64, type MetricsData, type NumberDataPoint } from '../../pdata/types.js';
import { int64ToBigInt } from '../../pdata/time.js';
import { forEachMetric, MetricFilter, StreamTable, streamKey } from '../metric-streams.js';
import type { CumulativeToDeltaConfig } from './config.js';

interface Previous {
  start: bigint;
  time: bigint;
  /** Sums: the value; histograms: count, sum and buckets. */
  int?: bigint;
  double?: number;
  count?: bigint;
  sum?: number;
  buckets?: bigint[];
  bounds?: number[];
}

const toLong = (v: bigint): Long => Long.fromString(v.toString(), true);
const big = (v: Int64 | undefined) => int64ToBigInt(v);

export class CumulativeToDeltaProcessor implements Processor {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly filter: MetricFilter;
  private readonly streams: StreamTable<Previous>;
  private readonly startedNs: bigint;
  private readonly withheld: (reason: string) => void;

  constructor(
    settings: CreateSettings,
    private readonly config: CumulativeToDeltaConfig,
  ) {
    this.filter = new MetricFilter(config);
    this.streams = new StreamTable(config.max_streams, config.max_staleness, () => settings.scheduler.now());
    this.startedNs = BigInt(settings.scheduler.now()) * 1_000_000n;
    const counter = settings.telemetry.counter('sluice_cumulativetodelta_datapoints_withheld', 'Cumulative points not sent as deltas, by reason (a first point kept as the baseline, not newer than the previous, no room for the stream).', ['processor', 'reason']);
    this.withheld = (reason) => counter.inc({ processor: settings.id, reason });
    settings.telemetry.callbackGauge('sluice_cumulativetodelta_streams_tracked', 'Streams whose previous value is held.', { processor: settings.id }, () => this.streams.size);
    this.operator = processorOperator(settings, 'metrics', { process: ({ data }) => (this.convert(data) > 0 ? data : undefined) });
  }

  private convert(data: MetricsData): number {
    this.streams.sweep();
    return forEachMetric(data, ({ metric, resourceId, scopeId }) => {
      const sum = metric.sum;
      if (sum && sum.isMonotonic && sum.aggregationTemporality === AggregationTemporality.CUMULATIVE && this.filter.matches(metric.name ?? '', 'sum')) {
        sum.dataPoints = sum.dataPoints.filter((p) => this.sumPoint(streamKey(resourceId, scopeId, metric, 'sum', p.attributes), p));
        sum.aggregationTemporality = AggregationTemporality.DELTA;
      }
      const hist = metric.histogram;
      if (hist && hist.aggregationTemporality === AggregationTemporality.CUMULATIVE && this.filter.matches(metric.name ?? '', 'histogram')) {
        hist.dataPoints = hist.dataPoints.filter((p) => this.histogramPoint(streamKey(resourceId, scopeId, metric, 'histogram', p.attributes), p));
        hist.aggregationTemporality = AggregationTemporality.DELTA;
      }
    });
  }

  /** True when the point stays (rewritten as a delta); false when it only sets the baseline or is stale. */
  private first(key: string, state: Previous): boolean {
    // A stream the table has no room for cannot be converted; passing it on as cumulative under a delta metric would be wrong.
    if (!this.streams.set(key, state)) return this.withhold('stream_limit');
    if (this.config.initial_value === 'keep') return true;
    // The stream began while we watched: its whole cumulative value happened in the window.
    if (this.config.initial_value === 'auto' && state.start !== 0n && state.start > this.startedNs) return true;
    return this.withhold('baseline');
  }

  private withhold(reason: string): false {
    this.withheld(reason);
    return false;
  }

  private sumPoint(key: string, p: NumberDataPoint): boolean {
    const now: Previous = { start: big(p.startTimeUnixNano), time: big(p.timeUnixNano) };
    if (p.asDouble != null) now.double = p.asDouble;
    else now.int = big(p.asInt);
    const prev = this.streams.get(key);
    if (!prev) return this.first(key, now);
    if (now.time <= prev.time) return this.withhold('out_of_order');
    this.streams.set(key, now);
    const reset = now.start > prev.start || (now.double !== undefined ? now.double < (prev.double ?? 0) : now.int! < (prev.int ?? 0n));
    p.startTimeUnixNano = toLong(reset ? now.start : prev.time);
    if (now.double !== undefined) p.asDouble = reset ? now.double : now.double - (prev.double ?? 0);
    else p.asInt = toLong(reset ? now.int! : now.int! - (prev.int ?? 0n));
    return true;
  }

  private histogramPoint(key: string, p: HistogramDataPoint): boolean {
    const now: Previous = { start: big(p.startTimeUnixNano), time: big(p.timeUnixNano), count: big(p.count), sum: p.sum ?? 0, buckets: p.bucketCounts.map(big), bounds: p.explicitBounds };
    const prev = this.streams.get(key);
    // Min and max cover the whole cumulative period: they say nothing about one interval.
    delete p.min;
    delete p.max;
    if (!prev) return this.first(key, now);
    if (now.time <= prev.time) return this.withhold('out_of_order');
    this.streams.set(key, now);
    const sameLayout = prev.bounds!.length === now.bounds!.length && prev.bounds!.every((b, i) => b === now.bounds![i]);
    const reset = now.start > prev.start || !sameLayout || now.count! < prev.count! || now.buckets!.some((c, i) => c < prev.buckets![i]!);
    if (reset) return true;
    p.startTimeUnixNano = toLong(prev.time);
    p.count = toLong(now.count! - prev.count!);
    p.sum = now.sum! - prev.sum!;
    p.bucketCounts = now.buckets!.map((c, i) => toLong(c - prev.buckets![i]!));
    return true;
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

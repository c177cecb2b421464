// The interval's window. Points that join the window leave the request (which goes on, or is
// acknowledged when nothing is left): held data is acknowledged once it sits in the bounded
// window, and what the window sends at each tick stands on its own, under the context its points
// came with (the processor helper counts and logs a window refused downstream).
import type { OperatorFunction } from 'rxjs';
import Long from 'long';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import { contextKey, type Envelope, type EnvelopeContext } from '../../pipeline/envelope.js';
import { processorOperator, type ProcessorOutput } from '../../pipeline/processor-helper.js';
import { AggregationTemporality, type HistogramDataPoint, type Metric, type MetricsData, type NumberDataPoint, type Resource, type InstrumentationScope } from '../../pdata/types.js';
import { int64ToBigInt } from '../../pdata/time.js';
import { forEachMetric, streamKey, type MetricKind } from '../metric-streams.js';
import type { IntervalConfig } from './config.js';

type Kind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
type AnyPoint = { timeUnixNano?: Long | number; attributes: unknown[] };

interface Held {
  /** The request context the stream came with: streams of different clients never merge or share a request. */
  context: EnvelopeContext;
  resource: Resource | undefined;
  resourceId: string;
  scope: InstrumentationScope | undefined;
  scopeId: string;
  metric: Metric;
  kind: Kind;
  point: AnyPoint;
}

const STREAM_KIND: Record<Kind, MetricKind | 'gauge' | 'summary'> = { gauge: 'gauge', sum: 'sum', histogram: 'histogram', exponentialHistogram: 'exponential_histogram', summary: 'summary' };
const KINDS: Kind[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];
const toLong = (v: bigint) => Long.fromString(v.toString(), true);

export class IntervalProcessor implements Processor {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly window = new Map<string, Held>();

  constructor(
    settings: CreateSettings,
    private readonly config: IntervalConfig,
  ) {
    settings.telemetry.callbackGauge('sluice_interval_streams_held', 'Streams in the current window (bounded by max_streams).', { processor: settings.id }, () => this.window.size);
    this.operator = processorOperator(settings, 'metrics', {
      // Points that join the window leave the request; what is left goes on with it.
      process: ({ data, context }) => (this.absorb(data, context) > 0 ? data : undefined),
      open: (out) => {
        const timer = out.every(config.interval, () => this.flush(out));
        return () => timer.unsubscribe();
      },
      flush: (out) => this.flush(out),
    });
  }

  /** Moves the points it can hold into the window; returns the points left in the request. */
  private absorb(data: MetricsData, context: EnvelopeContext): number {
    const contextId = contextKey(context);
    return forEachMetric(data, ({ metric, resource, resourceId, scope, scopeId }) => {
      const kind = KINDS.find((k) => metric[k] != null);
      if (!kind || (kind === 'gauge' && this.config.pass_through.gauge) || (kind === 'summary' && this.config.pass_through.summary)) return;
      const body = metric[kind] as { dataPoints: AnyPoint[] };
      body.dataPoints = body.dataPoints.filter((point) => {
        const key = `${contextId}\u0000${streamKey(resourceId, scopeId, metric, STREAM_KIND[kind] as MetricKind, point.attributes as never)}`;
        const held = this.window.get(key);
        if (held) {
          held.point = merge(kind, metric, held.point, point);
          return false;
        }
        if (this.window.size >= this.config.max_streams) return true;
        this.window.set(key, { context, resource, resourceId, scope, scopeId, metric, kind, point });
        return false;
      });
    });
  }

  /** Sends the window as one request per request context, grouped by resource, scope and metric. */
  private flush(out: ProcessorOutput<'metrics'>): void {
    if (this.window.size === 0) return;
    // Grouped by identity, not by object: points of one metric from many requests leave together.
    const byContext = new Map<string, { context: EnvelopeContext; resources: Map<string, Map<string, Map<string, Held[]>>> }>();
    for (const held of this.window.values()) {
      const contextId = contextKey(held.context);
      let group = byContext.get(contextId);
      if (!group) byContext.set(contextId, (group = { context: held.context, resources: new Map() }));
      const scopes = group.resources.get(held.resourceId) ?? new Map<string, Map<string, Held[]>>();
      const metrics = scopes.get(held.scopeId) ?? new Map<string, Held[]>();
      const metricId = `${held.metric.name}\u0000${held.metric.unit ?? ''}\u0000${held.kind}`;
      const list = metrics.get(metricId) ?? [];
      list.push(held);
      metrics.set(metricId, list);
      scopes.set(held.scopeId, metrics);
      group.resources.set(held.resourceId, scopes);
    }
    this.window.clear();
    for (const { context, resources } of byContext.values()) out.emit(toRequest(resources), context);
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

function toRequest(byResource: Map<string, Map<string, Map<string, Held[]>>>): MetricsData {
  return {
    resourceMetrics: [...byResource.values()].map((scopes) => {
      const first = [...scopes.values()][0]!.values().next().value![0]!;
      return {
        resource: first.resource,
        scopeMetrics: [...scopes.values()].map((metrics) => ({
          scope: [...metrics.values()][0]![0]!.scope,
          metrics: [...metrics.values()].map((held) => {
            const { metric, kind } = held[0]!;
            return { ...metric, [kind]: { ...(metric[kind] as object), dataPoints: held.map((h) => h.point) } } as Metric;
          }),
        })),
      };
    }),
  };
}

/** The window's point for a stream after another point of it arrives. */
function merge(kind: Kind, metric: Metric, held: AnyPoint, next: AnyPoint): AnyPoint {
  const newer = int64ToBigInt(next.timeUnixNano) >= int64ToBigInt(held.timeUnixNano);
  const delta = kind === 'sum' ? metric.sum!.aggregationTemporality === AggregationTemporality.DELTA : kind === 'histogram' && metric.histogram!.aggregationTemporality === AggregationTemporality.DELTA;
  if (!delta) return newer ? next : held;
  if (kind === 'sum') {
    const a = held as NumberDataPoint;
    const b = next as NumberDataPoint;
    const sum: NumberDataPoint = { ...b, startTimeUnixNano: a.startTimeUnixNano };
    if (a.asDouble != null || b.asDouble != null) {
      sum.asDouble = (a.asDouble ?? Number(int64ToBigInt(a.asInt))) + (b.asDouble ?? Number(int64ToBigInt(b.asInt)));
      delete sum.asInt;
    } else {
      sum.asInt = toLong(int64ToBigInt(a.asInt) + int64ToBigInt(b.asInt));
    }
    return sum;
  }
  const a = held as HistogramDataPoint;
  const b = next as HistogramDataPoint;
  const same = a.explicitBounds.length === b.explicitBounds.length && a.explicitBounds.every((x, i) => x === b.explicitBounds[i]);
  // Different bounds cannot be added: the newer histogram replaces the older.
  if (!same) return next;
  return {
    ...b,
    startTimeUnixNano: a.startTimeUnixNano,
    count: toLong(int64ToBigInt(a.count) + int64ToBigInt(b.count)),
    sum: (a.sum ?? 0) + (b.sum ?? 0),
    bucketCounts: a.bucketCounts.map((c, i) => toLong(int64ToBigInt(c) + int64ToBigInt(b.bucketCounts[i]))),
    min: a.min == null ? b.min : b.min == null ? a.min : Math.min(a.min, b.min),
    max: a.max == null ? b.max : b.max == null ? a.max : Math.max(a.max, b.max),
  } as HistogramDataPoint;
}

// The interval's window. Points that join the window leave the request (which goes on, or is
// acknowledged when nothing is left): held data is acknowledged once it sits in the bounded
// window, and what the window sends at each tick stands on its own. A failed send of a window is
// logged and counted, since its sources were acknowledged already.
import { Observable, type SchedulerAction } from 'rxjs';
import Long from 'long';
import type { Logger } from 'pino';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import type { ProcessorTelemetry } from '../../telemetry/telemetry.js';
import { createEnvelope, receiverContext, type Envelope } from '../../pipeline/envelope.js';
import { AggregationTemporality, type HistogramDataPoint, type Metric, type MetricsData, type NumberDataPoint, type Resource, type InstrumentationScope } from '../../pdata/types.js';
import { int64ToBigInt } from '../../pdata/time.js';
import { forEachMetric, streamKey, type MetricKind } from '../metric-streams.js';
import type { IntervalConfig } from './factory.js';

type Kind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
type AnyPoint = { timeUnixNano?: Long | number; attributes: unknown[] };

interface Held {
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
  private readonly window = new Map<string, Held>();
  private readonly logger: Logger;
  private readonly telemetry: ProcessorTelemetry;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: IntervalConfig,
  ) {
    this.logger = settings.logger;
    this.telemetry = settings.telemetry.processor(settings.id);
    settings.telemetry.callbackGauge('sluice_interval_streams_held', 'Streams in the current window (bounded by max_streams).', { processor: settings.id }, () => this.window.size);
  }

  readonly operator = (source: Observable<Envelope>): Observable<Envelope> =>
    new Observable<Envelope>((subscriber) => {
      const interval = this.config.interval;
      const tick = () => this.flush((e) => subscriber.next(e));
      const timer = this.settings.scheduler.schedule(function (this: SchedulerAction<unknown>) {
        tick();
        this.schedule(undefined, interval);
      }, interval);
      const subscription = source.subscribe({
        next: (envelope) => {
          const left = this.absorb(envelope.data as MetricsData);
          if (left === 0) envelope.ack();
          else {
            envelope.items = left;
            subscriber.next(envelope);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          timer.unsubscribe();
          tick();
          subscriber.complete();
        },
      });
      return () => {
        timer.unsubscribe();
        subscription.unsubscribe();
      };
    });

  /** Moves the points it can hold into the window; returns the points left in the request. */
  private absorb(data: MetricsData): number {
    return forEachMetric(data, ({ metric, resource, resourceId, scope, scopeId }) => {
      const kind = KINDS.find((k) => metric[k] != null);
      if (!kind || (kind === 'gauge' && this.config.pass_through.gauge) || (kind === 'summary' && this.config.pass_through.summary)) return;
      const body = metric[kind] as { dataPoints: AnyPoint[] };
      body.dataPoints = body.dataPoints.filter((point) => {
        const key = streamKey(resourceId, scopeId, metric, STREAM_KIND[kind] as MetricKind, point.attributes as never);
        const held = this.window.get(key);
        if (held) {
          held.point = merge(kind, metric, held.point, point);
          return false;
        }
        if (this.window.size >= this.config.max_streams) return true;
        this.window.set(key, { resource, resourceId, scope, scopeId, metric, kind, point });
        return false;
      });
    });
  }

  /** Sends the window as one request, grouped by resource, scope and metric. */
  private flush(emit: (e: Envelope) => void): void {
    if (this.window.size === 0) return;
    // Grouped by identity, not by object: points of one metric from many requests leave together.
    const byResource = new Map<string, Map<string, Map<string, Held[]>>>();
    for (const held of this.window.values()) {
      const scopes = byResource.get(held.resourceId) ?? new Map<string, Map<string, Held[]>>();
      const metrics = scopes.get(held.scopeId) ?? new Map<string, Held[]>();
      const metricId = `${held.metric.name}\u0000${held.metric.unit ?? ''}\u0000${held.kind}`;
      const list = metrics.get(metricId) ?? [];
      list.push(held);
      metrics.set(metricId, list);
      scopes.set(held.scopeId, metrics);
      byResource.set(held.resourceId, scopes);
    }
    this.window.clear();
    const data: MetricsData = {
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
    const envelope = createEnvelope('metrics', data, receiverContext(this.settings.id), {
      ack: () => {},
      nack: (err) => {
        this.telemetry.dropped('metrics', envelope.items);
        this.logger.warn({ points: envelope.items, error: err.message }, 'an interval window was refused downstream; its points are lost (their sources were already acknowledged)');
      },
    });
    emit(envelope);
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
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

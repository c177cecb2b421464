// OTLP metrics → Datadog series (API v1 and v2 shapes). Counts are deltas: cumulative monotonic
// sums go through the shared reset-aware delta tracker.
import type { KeyValue, MetricsData, NumberDataPoint } from '../../pdata/types.js';
import { AggregationTemporality } from '../../pdata/types.js';
import { anyValueToString, getStringAttribute } from '../../pdata/attributes.js';
import { int64ToNumber, int64ToString, int64ToSeconds } from '../../pdata/time.js';
import { CumulativeToDelta } from '../../pdata/cumulative-delta.js';
import { chunkBySize } from '../../pipeline/chunk.js';

export type DatadogKind = 'gauge' | 'count';

export interface DatadogPoint {
  metric: string;
  kind: DatadogKind;
  timestampSec: number;
  value: number;
  host?: string;
  tags: string[];
}

/** Unified service tagging: the resource attributes Datadog reads as service, env and version. */
function resourceTags(resource: readonly KeyValue[]): string[] {
  const tags: string[] = [];
  const service = getStringAttribute(resource, 'service.name');
  const env = getStringAttribute(resource, 'deployment.environment.name') ?? getStringAttribute(resource, 'deployment.environment');
  const version = getStringAttribute(resource, 'service.version');
  if (service) tags.push(`service:${service}`);
  if (env) tags.push(`env:${env}`);
  if (version) tags.push(`version:${version}`);
  return tags;
}

function attributeTags(attributes: readonly KeyValue[]): string[] {
  return attributes.map((kv) => `${kv.key}:${anyValueToString(kv.value)}`).sort();
}

export class DatadogMetricsTranslator {
  private readonly cumulative: CumulativeToDelta;

  constructor(maxTrackedSeries = 100_000) {
    this.cumulative = new CumulativeToDelta(maxTrackedSeries);
  }

  translate(data: MetricsData): { points: DatadogPoint[]; skipped: number } {
    const points: DatadogPoint[] = [];
    let skipped = 0;
    for (const rm of data.resourceMetrics ?? []) {
      const resource = rm.resource?.attributes ?? [];
      const host = getStringAttribute(resource, 'host.name');
      const base = resourceTags(resource);
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          const name = m.name ?? '';
          const emit = (metric: string, kind: DatadogKind, p: { timeUnixNano?: NumberDataPoint['timeUnixNano']; attributes: KeyValue[] }, value: number, extra: string[] = []) =>
            points.push({ metric, kind, timestampSec: int64ToSeconds(p.timeUnixNano), value, host, tags: [...base, ...attributeTags(p.attributes), ...extra] });
          if (m.gauge) {
            for (const p of m.gauge.dataPoints) emit(name, 'gauge', p, numberValue(p));
          } else if (m.sum) {
            const cumulative = m.sum.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.sum.dataPoints) {
              if (!m.sum.isMonotonic) {
                emit(name, 'gauge', p, numberValue(p));
                continue;
              }
              const value = cumulative ? this.cumulative.delta(name, p.attributes, int64ToString(p.startTimeUnixNano), numberValue(p)) : numberValue(p);
              if (value === undefined) skipped++;
              else emit(name, 'count', p, value);
            }
          } else if (m.histogram) {
            const cumulative = m.histogram.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.histogram.dataPoints) {
              const start = int64ToString(p.startTimeUnixNano);
              const counted = (suffix: string, value: number, extra: string[] = []) => {
                const metric = `${name}.${suffix}`;
                // Each bucket is its own series for the delta tracker: its bounds are part of the name.
                const v = cumulative ? this.cumulative.delta(`${metric}|${extra.join('|')}`, p.attributes, start, value) : value;
                if (v === undefined) return false;
                emit(metric, 'count', p, v, extra);
                return true;
              };
              if (!counted('count', int64ToNumber(p.count))) skipped++;
              counted('sum', p.sum ?? 0);
              const bounds = p.explicitBounds ?? [];
              p.bucketCounts.forEach((c, i) => {
                const lower = i === 0 ? '-inf' : String(bounds[i - 1]);
                const upper = i < bounds.length ? String(bounds[i]) : 'inf';
                counted('bucket', int64ToNumber(c), [`lower_bound:${lower}`, `upper_bound:${upper}`]);
              });
              if (p.min !== undefined) emit(`${name}.min`, 'gauge', p, p.min);
              if (p.max !== undefined) emit(`${name}.max`, 'gauge', p, p.max);
            }
          } else {
            skipped += (m.exponentialHistogram ?? m.summary)?.dataPoints.length ?? 0;
          }
        }
      }
    }
    return { points, skipped };
  }
}

function numberValue(p: NumberDataPoint): number {
  return p.asDouble ?? int64ToNumber(p.asInt);
}

/** API v1 `/api/v1/series` body. */
export function seriesV1(points: readonly DatadogPoint[]): unknown {
  return {
    series: points.map((p) => ({ metric: p.metric, type: p.kind, points: [[p.timestampSec, p.value]], ...(p.host ? { host: p.host } : {}), tags: p.tags })),
  };
}

/** API v2 `/api/v2/series` body (MetricPayload): type 1 = count, 3 = gauge. */
export function seriesV2(points: readonly DatadogPoint[]): unknown {
  return {
    series: points.map((p) => ({
      metric: p.metric,
      type: p.kind === 'count' ? 1 : 3,
      points: [{ timestamp: p.timestampSec, value: p.value }],
      ...(p.host ? { resources: [{ name: p.host, type: 'host' }] } : {}),
      tags: p.tags,
    })),
  };
}

/** Splits points so each request's JSON stays under `maxBytes` (estimated per point). */
export function chunkPoints(points: readonly DatadogPoint[], maxBytes: number): DatadogPoint[][] {
  return chunkBySize(points, (p) => 96 + p.metric.length + (p.host?.length ?? 0) + p.tags.reduce((n, t) => n + t.length + 3, 0), maxBytes);
}

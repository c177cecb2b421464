// OTLP metrics → CloudWatch MetricDatum: values for gauges and sums (cumulative sums as reset-aware
// deltas), StatisticSets for histograms, UCUM units mapped to CloudWatch's, at most 30 dimensions.
import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { KeyValue, MetricsData, NumberDataPoint } from '../../pdata/types.js';
import { AggregationTemporality } from '../../pdata/types.js';
import { anyValueToString, getStringAttribute } from '../../pdata/attributes.js';
import { int64ToNumber, int64ToString, int64ToMillis } from '../../pdata/time.js';
import { CumulativeToDelta } from '../../pdata/cumulative-delta.js';

/** CloudWatch accepts at most this many dimensions per metric. */
export const MAX_DIMENSIONS = 30;

const UNITS: Record<string, StandardUnit> = {
  s: 'Seconds',
  ms: 'Milliseconds',
  us: 'Microseconds',
  By: 'Bytes',
  KBy: 'Kilobytes',
  MBy: 'Megabytes',
  GBy: 'Gigabytes',
  TBy: 'Terabytes',
  bit: 'Bits',
  'By/s': 'Bytes/Second',
  'bit/s': 'Bits/Second',
  '%': 'Percent',
  '1': 'None',
};

/** The CloudWatch unit of a UCUM unit: `{request}`-style annotations are counts, unknown units None. */
export function cloudWatchUnit(unit: string | undefined): StandardUnit {
  if (!unit) return 'None';
  if (/^\{[^}]*\}$/.test(unit)) return 'Count';
  return UNITS[unit] ?? 'None';
}

export class DatumTranslator {
  private readonly cumulative = new CumulativeToDelta(100_000);

  translate(data: MetricsData): { datums: MetricDatum[]; skipped: number; truncatedDimensions: number } {
    const datums: MetricDatum[] = [];
    let skipped = 0;
    let truncatedDimensions = 0;
    for (const rm of data.resourceMetrics ?? []) {
      const service = getStringAttribute(rm.resource?.attributes, 'service.name');
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          const name = m.name ?? '';
          const unit = cloudWatchUnit(m.unit);
          const dimensionsOf = (attributes: readonly KeyValue[]) => {
            const all = [...(service ? [{ Name: 'service.name', Value: service }] : []), ...attributes.map((kv) => ({ Name: kv.key, Value: anyValueToString(kv.value) }))];
            all.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
            if (all.length > MAX_DIMENSIONS) truncatedDimensions++;
            return all.slice(0, MAX_DIMENSIONS);
          };
          const timestamp = (p: { timeUnixNano?: NumberDataPoint['timeUnixNano'] }) => new Date(int64ToMillis(p.timeUnixNano));
          if (m.gauge || (m.sum && !m.sum.isMonotonic)) {
            for (const p of (m.gauge ?? m.sum)!.dataPoints) datums.push({ MetricName: name, Dimensions: dimensionsOf(p.attributes), Timestamp: timestamp(p), Value: numberValue(p), Unit: unit });
          } else if (m.sum) {
            const cumulative = m.sum.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.sum.dataPoints) {
              const value = cumulative ? this.cumulative.delta(name, p.attributes, int64ToString(p.startTimeUnixNano), numberValue(p)) : numberValue(p);
              if (value === undefined) skipped++;
              else datums.push({ MetricName: name, Dimensions: dimensionsOf(p.attributes), Timestamp: timestamp(p), Value: value, Unit: unit });
            }
          } else if (m.histogram) {
            const cumulative = m.histogram.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.histogram.dataPoints) {
              const start = int64ToString(p.startTimeUnixNano);
              const count = cumulative ? this.cumulative.delta(`${name}|count`, p.attributes, start, int64ToNumber(p.count)) : int64ToNumber(p.count);
              const sum = cumulative ? this.cumulative.delta(`${name}|sum`, p.attributes, start, p.sum ?? 0) : (p.sum ?? 0);
              if (count === undefined || sum === undefined || count === 0) {
                skipped++;
                continue;
              }
              // CloudWatch requires minimum and maximum; without them the mean is the honest bound.
              const mean = sum / count;
              datums.push({
                MetricName: name,
                Dimensions: dimensionsOf(p.attributes),
                Timestamp: timestamp(p),
                StatisticValues: { SampleCount: count, Sum: sum, Minimum: p.min ?? mean, Maximum: p.max ?? mean },
                Unit: unit,
              });
            }
          } else {
            skipped += (m.exponentialHistogram ?? m.summary)?.dataPoints.length ?? 0;
          }
        }
      }
    }
    return { datums, skipped, truncatedDimensions };
  }
}

function numberValue(p: NumberDataPoint): number {
  return p.asDouble ?? int64ToNumber(p.asInt);
}

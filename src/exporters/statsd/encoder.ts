// OTLP metrics → StatsD lines (Etsy or DogStatsD flavour), packed into datagrams of at most
// max_packet_size bytes. Cumulative values become deltas per series, with reset detection.
import type { HistogramDataPoint, KeyValue, MetricsData, NumberDataPoint } from '../../pdata/types.js';
import { AggregationTemporality } from '../../pdata/types.js';
import { anyValueToString } from '../../pdata/attributes.js';
import { int64ToNumber, int64ToString } from '../../pdata/time.js';
import { CumulativeToDelta } from '../../pdata/cumulative-delta.js';

export interface StatsdEncoderOptions {
  flavor: 'etsy' | 'dogstatsd';
  prefix: string;
  separator: string;
  /** Series whose last cumulative value is remembered; the oldest is forgotten beyond this. */
  maxTrackedSeries: number;
}

/** Characters that would break a StatsD line in a name or tag. */
const UNSAFE = /[:|@#,\s]/g;

export class StatsdEncoder {
  private readonly cumulative: CumulativeToDelta;

  constructor(private readonly options: StatsdEncoderOptions) {
    this.cumulative = new CumulativeToDelta(options.maxTrackedSeries);
  }

  /** Lines for one batch, plus how many points could not be expressed (summaries, first cumulative sightings). */
  encode(data: MetricsData): { lines: string[]; skipped: number } {
    const lines: string[] = [];
    let skipped = 0;
    for (const rm of data.resourceMetrics ?? []) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          const name = this.metricName(m.name ?? '');
          if (m.gauge) {
            for (const p of m.gauge.dataPoints) this.gauge(lines, name, p.attributes, numberValue(p));
          } else if (m.sum) {
            const cumulative = m.sum.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.sum.dataPoints) {
              if (!m.sum.isMonotonic) {
                this.gauge(lines, name, p.attributes, numberValue(p));
                continue;
              }
              const delta = cumulative ? this.cumulative.delta(name, p.attributes, int64ToString(p.startTimeUnixNano), numberValue(p)) : numberValue(p);
              if (delta === undefined) skipped++;
              else lines.push(this.line(name, p.attributes, delta, 'c'));
            }
          } else if (m.histogram) {
            const cumulative = m.histogram.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.histogram.dataPoints) {
              const start = int64ToString(p.startTimeUnixNano);
              const count = cumulative ? this.cumulative.delta(`${name}_count`, p.attributes, start, int64ToNumber(p.count)) : int64ToNumber(p.count);
              const sum = cumulative ? this.cumulative.delta(`${name}_sum`, p.attributes, start, p.sum ?? 0) : (p.sum ?? 0);
              if (count === undefined || sum === undefined) skipped++;
              else {
                lines.push(this.line(`${name}${this.options.separator}count`, p.attributes, count, 'c'));
                lines.push(this.line(`${name}${this.options.separator}sum`, p.attributes, sum, 'c'));
              }
              if (p.min !== undefined) this.gauge(lines, `${name}${this.options.separator}min`, p.attributes, p.min);
              if (p.max !== undefined) this.gauge(lines, `${name}${this.options.separator}max`, p.attributes, p.max);
              if (this.options.flavor === 'dogstatsd' && !cumulative) this.distribution(lines, name, p);
            }
          } else {
            skipped += (m.exponentialHistogram ?? m.summary)?.dataPoints.length ?? 0;
          }
        }
      }
    }
    return { lines, skipped };
  }

  private metricName(name: string): string {
    const sep = this.options.separator;
    const body = name.replace(UNSAFE, '_').split('.').join(sep);
    return this.options.prefix ? `${this.options.prefix}${sep}${body}` : body;
  }

  private gauge(lines: string[], name: string, attributes: readonly KeyValue[], value: number): void {
    // Etsy reads a signed gauge value as a change: set it to zero first to mean "is negative".
    if (this.options.flavor === 'etsy' && value < 0) lines.push(this.line(name, attributes, 0, 'g'));
    lines.push(this.line(name, attributes, value, 'g'));
  }

  /**
   * DogStatsD distribution samples from a delta histogram: each non-empty bucket sends one
   * representative value with sample rate 1/count, so the agent weighs it as `count` samples.
   * The representative is the bucket's midpoint, or min/max for the open-ended outer buckets.
   */
  private distribution(lines: string[], name: string, p: HistogramDataPoint): void {
    const bounds = p.explicitBounds ?? [];
    p.bucketCounts.forEach((c, i) => {
      const count = int64ToNumber(c);
      if (count <= 0) return;
      const lower = i === 0 ? (p.min ?? bounds[0]) : bounds[i - 1];
      const upper = i < bounds.length ? bounds[i] : (p.max ?? bounds[bounds.length - 1]);
      if (lower === undefined || upper === undefined) return;
      const value = (lower + upper) / 2;
      const base = this.line(`${name}${this.options.separator}distribution`, p.attributes, value, 'd');
      // The sample rate goes before the tags in the DogStatsD datagram format.
      const rate = count === 1 ? '' : `|@${1 / count}`;
      const tagAt = base.indexOf('|#');
      lines.push(tagAt < 0 ? `${base}${rate}` : `${base.slice(0, tagAt)}${rate}${base.slice(tagAt)}`);
    });
  }

  private line(name: string, attributes: readonly KeyValue[], value: number, type: 'c' | 'g' | 'd'): string {
    const sorted = [...attributes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (this.options.flavor === 'dogstatsd') {
      const tags = sorted.map((kv) => `${kv.key.replace(UNSAFE, '_')}:${anyValueToString(kv.value).replace(UNSAFE, '_')}`);
      return `${name}:${value}|${type}${tags.length ? `|#${tags.join(',')}` : ''}`;
    }
    const segments = sorted.flatMap((kv) => [kv.key, anyValueToString(kv.value)].map((s) => s.replace(UNSAFE, '_').split('.').join('_')));
    return `${[name, ...segments].join(this.options.separator)}:${value}|${type}`;
  }
}

function numberValue(p: NumberDataPoint): number {
  return p.asDouble ?? int64ToNumber(p.asInt);
}

/** Joins lines into packets of at most `maxBytes`; a single longer line travels alone. */
export function packLines(lines: readonly string[], maxBytes: number): string[] {
  const packets: string[] = [];
  let current = '';
  for (const line of lines) {
    const candidate = current ? `${current}\n${line}` : line;
    if (current && Buffer.byteLength(candidate) > maxBytes) {
      packets.push(current);
      current = line;
    } else {
      current = candidate;
    }
  }
  if (current) packets.push(current);
  return packets;
}

// OTLP metrics → StatsD lines (Etsy or DogStatsD flavour), packed into datagrams of at most
// max_packet_size bytes. Cumulative values become deltas per series, with reset detection.
import type { KeyValue, MetricsData, NumberDataPoint } from '../../pdata/types.js';
import { AggregationTemporality } from '../../pdata/types.js';
import { anyValueToString } from '../../pdata/attributes.js';
import { int64ToNumber, int64ToString } from '../../pdata/time.js';

export interface StatsdEncoderOptions {
  flavor: 'etsy' | 'dogstatsd';
  prefix: string;
  separator: string;
  /** Series whose last cumulative value is remembered; the oldest is forgotten beyond this. */
  maxTrackedSeries: number;
}

interface Previous {
  start: string;
  value: number;
}

/** Characters that would break a StatsD line in a name or tag. */
const UNSAFE = /[:|@#,\s]/g;

export class StatsdEncoder {
  private readonly previous = new Map<string, Previous>();

  constructor(private readonly options: StatsdEncoderOptions) {}

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
              const delta = cumulative ? this.delta(name, p.attributes, int64ToString(p.startTimeUnixNano), numberValue(p)) : numberValue(p);
              if (delta === undefined) skipped++;
              else lines.push(this.line(name, p.attributes, delta, 'c'));
            }
          } else if (m.histogram) {
            const cumulative = m.histogram.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.histogram.dataPoints) {
              const start = int64ToString(p.startTimeUnixNano);
              const count = cumulative ? this.delta(`${name}_count`, p.attributes, start, int64ToNumber(p.count)) : int64ToNumber(p.count);
              const sum = cumulative ? this.delta(`${name}_sum`, p.attributes, start, p.sum ?? 0) : (p.sum ?? 0);
              if (count === undefined || sum === undefined) skipped++;
              else {
                lines.push(this.line(`${name}${this.options.separator}count`, p.attributes, count, 'c'));
                lines.push(this.line(`${name}${this.options.separator}sum`, p.attributes, sum, 'c'));
              }
              if (p.min !== undefined) this.gauge(lines, `${name}${this.options.separator}min`, p.attributes, p.min);
              if (p.max !== undefined) this.gauge(lines, `${name}${this.options.separator}max`, p.attributes, p.max);
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

  /** The increase since the last cumulative value of the series; undefined on first sight (the baseline). */
  private delta(name: string, attributes: readonly KeyValue[], start: string, value: number): number | undefined {
    const key = `${name}\u0000${attributeKey(attributes)}`;
    const prev = this.previous.get(key);
    this.previous.delete(key);
    if (this.previous.size >= this.options.maxTrackedSeries) this.previous.delete(this.previous.keys().next().value!);
    this.previous.set(key, { start, value });
    if (!prev) return undefined;
    // A new start time or a smaller value is a reset: everything counted since is new.
    if (prev.start !== start || value < prev.value) return value;
    return value - prev.value;
  }

  private line(name: string, attributes: readonly KeyValue[], value: number, type: 'c' | 'g'): string {
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

function attributeKey(attributes: readonly KeyValue[]): string {
  return attributes
    .map((kv) => `${kv.key}=${anyValueToString(kv.value)}`)
    .sort()
    .join('\u0001');
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

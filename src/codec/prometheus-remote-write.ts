// Prometheus remote write 1.0: OTLP metrics → WriteRequest time series (cumulative only, as the
// Collector's exporter), and the protobuf encoding. Names and labels come from the shared model,
// so a series is called the same here and on the scrape endpoint.
import type { MetricsData, NumberDataPoint } from '../pdata/types.js';
import { AggregationTemporality } from '../pdata/types.js';
import { int64ToNumber, int64ToMillis } from '../pdata/time.js';
import { idToHex, isEmptyId } from '../pdata/ids.js';
import { loadProtos } from './proto-root.js';
import { chunkBySize } from '../pipeline/chunk.js';
import { exponentialToExplicit, prometheusKind, PrometheusLabeler, STALE_NAN, type LabelerOptions, type Labels } from './prometheus-model.js';

/** OTLP's DataPointFlags FLAG_NO_RECORDED_VALUE: the series ended; Prometheus's staleness marker. */
const NO_RECORDED_VALUE = 1;
const stale = (p: { flags?: number }) => ((p.flags ?? 0) & NO_RECORDED_VALUE) !== 0;

const root = loadProtos(['prometheus/remote.proto']);
const writeRequestType = root.lookupType('prometheus.WriteRequest');

export interface RemoteSample {
  value: number;
  timestampMs: number;
}

export interface RemoteExemplar {
  labels: Labels;
  value: number;
  timestampMs: number;
}

export interface RemoteSeries {
  /** `__name__` first, the rest sorted by name. */
  labels: Labels;
  /** In timestamp order. */
  samples: RemoteSample[];
  exemplars: RemoteExemplar[];
  /** Samples of a delta metric, each an increment (only with `keepDeltas`). */
  delta?: boolean;
}

export interface ConversionResult {
  series: RemoteSeries[];
  /** Points that remote write cannot carry (delta temporality), dropped and counted by the caller. */
  droppedDeltaPoints: number;
}

export interface RemoteWriteOptions extends LabelerOptions {
  externalLabels: Record<string, string>;
  /** One target_info series per resource (unless resources become labels). */
  targetInfo: boolean;
  /** Delta points become series flagged `delta` for the caller to add up, instead of being dropped. */
  keepDeltas?: boolean;
}

const timeMs = (ns: Parameters<typeof int64ToNumber>[0]) => int64ToMillis(ns);

export function toRemoteSeries(data: MetricsData, options: RemoteWriteOptions): ConversionResult {
  const labeler = new PrometheusLabeler({ ...options, constLabels: { ...options.constLabels, ...options.externalLabels } });
  const byKey = new Map<string, RemoteSeries>();
  let droppedDeltaPoints = 0;
  let delta = false;
  const add = (name: string, labels: Labels, value: number, timestampMs: number, exemplar?: RemoteExemplar) => {
    const all: Labels = [['__name__', name], ...labels];
    let key = '';
    for (const [k, v] of all) key += `${k}\u0001${v}\u0000`;
    let series = byKey.get(key);
    if (!series) {
      series = { labels: all, samples: [], exemplars: [], ...(delta ? { delta } : {}) };
      byKey.set(key, series);
    }
    series.samples.push({ value, timestampMs });
    if (exemplar) series.exemplars.push(exemplar);
  };
  const exemplarOf = (p: NumberDataPoint): RemoteExemplar | undefined => {
    const e = p.exemplars[p.exemplars.length - 1];
    if (!e || isEmptyId(e.traceId)) return undefined;
    return {
      labels: [
        ['span_id', idToHex(e.spanId)],
        ['trace_id', idToHex(e.traceId)],
      ],
      value: e.asDouble ?? int64ToNumber(e.asInt),
      timestampMs: timeMs(e.timeUnixNano),
    };
  };

  for (const rm of data.resourceMetrics ?? []) {
    const resource = rm.resource?.attributes ?? [];
    let latest = 0;
    for (const sm of rm.scopeMetrics ?? []) {
      const base = labeler.baseLabels(resource, sm.scope);
      for (const m of sm.metrics ?? []) {
        const kind = prometheusKind(m);
        if (!kind) continue;
        const name = labeler.metricName(m, kind);
        const temporality = m.sum?.aggregationTemporality ?? m.histogram?.aggregationTemporality ?? m.exponentialHistogram?.aggregationTemporality;
        delta = temporality === AggregationTemporality.DELTA;
        if (delta && !options.keepDeltas) {
          droppedDeltaPoints += (m.sum ?? m.histogram ?? m.exponentialHistogram)!.dataPoints.length;
          continue;
        }
        for (const p of m.gauge?.dataPoints ?? m.sum?.dataPoints ?? []) {
          const ts = timeMs(p.timeUnixNano);
          latest = Math.max(latest, ts);
          add(name, labeler.seriesLabels(base, p.attributes), stale(p) ? STALE_NAN : (p.asDouble ?? int64ToNumber(p.asInt)), ts, kind === 'counter' ? exemplarOf(p) : undefined);
        }
        const histograms = [
          ...(m.histogram?.dataPoints ?? []).map((p) => ({ p, bounds: p.explicitBounds ?? [], counts: p.bucketCounts.map(int64ToNumber) })),
          ...(m.exponentialHistogram?.dataPoints ?? []).map((p) => ({ p, ...exponentialToExplicit(p) })),
        ];
        for (const { p, bounds, counts } of histograms) {
          const ts = timeMs(p.timeUnixNano);
          latest = Math.max(latest, ts);
          const labels = labeler.seriesLabels(base, p.attributes);
          const value = (v: number) => (stale(p) ? STALE_NAN : v);
          let cumulative = 0;
          for (let i = 0; i < counts.length; i++) {
            cumulative += counts[i]!;
            const le = i < bounds.length ? String(bounds[i]) : '+Inf';
            add(`${name}_bucket`, sortLabels([...labels, ['le', le]]), value(cumulative), ts);
          }
          if (counts.length <= bounds.length) add(`${name}_bucket`, sortLabels([...labels, ['le', '+Inf']]), value(int64ToNumber(p.count)), ts);
          add(`${name}_sum`, labels, value(p.sum ?? 0), ts);
          add(`${name}_count`, labels, value(int64ToNumber(p.count)), ts);
        }
        for (const p of m.summary?.dataPoints ?? []) {
          const ts = timeMs(p.timeUnixNano);
          latest = Math.max(latest, ts);
          const labels = labeler.seriesLabels(base, p.attributes);
          const value = (v: number) => (stale(p) ? STALE_NAN : v);
          for (const q of p.quantileValues) add(name, sortLabels([...labels, ['quantile', String(q.quantile ?? 0)]]), value(q.value ?? 0), ts);
          add(`${name}_sum`, labels, value(p.sum ?? 0), ts);
          add(`${name}_count`, labels, value(int64ToNumber(p.count)), ts);
        }
      }
    }
    delta = false;
    const info = options.targetInfo ? labeler.targetInfoLabels(resource) : undefined;
    if (info && latest > 0) add(labeler.targetInfoName, info, 1, latest);
  }
  const series = [...byKey.values()];
  for (const s of series) s.samples.sort((a, b) => a.timestampMs - b.timestampMs);
  return { series, droppedDeltaPoints };
}

function sortLabels(labels: Labels): Labels {
  return labels.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** Rough encoded size of a series, for splitting requests at max_batch_size_bytes. */
export function estimateSeriesBytes(s: RemoteSeries): number {
  let n = 4;
  for (const [k, v] of s.labels) n += k.length + v.length + 6;
  return n + s.samples.length * 20 + s.exemplars.length * 120;
}

/** Splits series into groups whose estimated encoding stays under `maxBytes` (a single oversized series goes alone). */
export function splitSeries(series: RemoteSeries[], maxBytes: number): RemoteSeries[][] {
  return chunkBySize(series, estimateSeriesBytes, maxBytes);
}

export function encodeWriteRequest(series: RemoteSeries[]): Uint8Array {
  return writeRequestType
    .encode({
      timeseries: series.map((s) => ({
        labels: s.labels.map(([name, value]) => ({ name, value })),
        samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestampMs })),
        exemplars: s.exemplars.map((e) => ({ labels: e.labels.map(([name, value]) => ({ name, value })), value: e.value, timestamp: e.timestampMs })),
      })),
    })
    .finish();
}

export function decodeWriteRequest(bytes: Uint8Array): { timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: unknown }[] }[] } {
  return writeRequestType.toObject(writeRequestType.decode(bytes), { longs: Number, defaults: true }) as ReturnType<typeof decodeWriteRequest>;
}

// OTLP → store: Prometheus exporter names, delta running totals (same-millisecond increments
// included), future timestamps taken as of now, and the series bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { SeriesIngest } from '../../src/alerting/ingest.js';
import { SeriesStore } from '../../src/alerting/storage/series-store.js';
import { parseExpr } from '../../src/alerting/promql/parser.js';
import type { MetricsData } from '../../src/pdata/types.js';

const ns = (ms: number) => Long.fromNumber(ms, true).multiply(1_000_000);
const deltaCount = (t: number, n: number): MetricsData => ({
  resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }, scopeMetrics: [{ metrics: [{ name: 'log.error.count', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [{ attributes: [], timeUnixNano: ns(t), asInt: Long.fromNumber(n), exemplars: [] }] } }] }] }],
});

function read(store: SeriesStore, selector: string): [number, number][] {
  const [series] = [...store.select((parseExpr(selector) as unknown as { matchers: never }).matchers, 0, Number.MAX_SAFE_INTEGER)];
  return series ? Array.from(series.timestamps, (t, i) => [t, series.values[i]!]) : [];
}

test('delta increments become a running total; those stamped in the same millisecond all count', () => {
  const store = new SeriesStore({ maxSeries: 10, retentionMs: 600_000 });
  const ingest = new SeriesIngest(store, { addSuffixes: true, resourceToTelemetry: false, maxSeries: 10 });
  for (const [t, n] of [[1000, 2], [1000, 3], [1000, 1], [2000, 4]] as const) assert.equal(ingest.ingest(deltaCount(t, n), 5000).outOfOrder, 0);
  assert.deepEqual(read(store, 'log_error_count_total{job="api"}'), [[1000, 2], [1001, 5], [1002, 6], [2000, 10]]);
});

test('points from a clock running ahead are taken as of now; idle delta totals are forgotten', () => {
  const store = new SeriesStore({ maxSeries: 10, retentionMs: 600_000 });
  const ingest = new SeriesIngest(store, { addSuffixes: true, resourceToTelemetry: false, maxSeries: 10 });
  ingest.ingest(deltaCount(99_000, 5), 10_000);
  ingest.forgetIdle(400_000, 300_000);
  ingest.ingest(deltaCount(400_000, 1), 400_000);
  assert.deepEqual(read(store, 'log_error_count_total'), [[10_000, 5], [400_000, 1]], 'after the idle gap the total restarts, which rate() reads as a counter reset');
});

test('delta series past max_series are refused and reported', () => {
  const store = new SeriesStore({ maxSeries: 1, retentionMs: 600_000 });
  const ingest = new SeriesIngest(store, { addSuffixes: true, resourceToTelemetry: false, maxSeries: 1 });
  assert.equal(ingest.ingest(deltaCount(1000, 1), 5000).appended, 1);
  const other = deltaCount(1000, 1);
  other.resourceMetrics[0]!.resource!.attributes[0]!.value = { stringValue: 'web' };
  assert.deepEqual(ingest.ingest(other, 5000), { appended: 0, outOfOrder: 0, overLimit: 1, invalid: 0 });
});

test('a burst of increments in one batch is one sample at now, so the store clock never runs ahead', () => {
  const store = new SeriesStore({ maxSeries: 10, retentionMs: 600_000 });
  const ingest = new SeriesIngest(store, { addSuffixes: true, resourceToTelemetry: false, maxSeries: 10 });
  const burst = deltaCount(9000, 1);
  const sum = burst.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!;
  sum.dataPoints = Array.from({ length: 1000 }, () => ({ ...sum.dataPoints[0]! }));
  assert.deepEqual(ingest.ingest(burst, 9000), { appended: 1, outOfOrder: 0, overLimit: 0, invalid: 0 });
  assert.deepEqual(ingest.ingest(deltaCount(9000, 1), 9000).appended, 0, 'the same millisecond again: carried by the next sample');
  ingest.ingest(deltaCount(9001, 1), 9001);
  assert.deepEqual(read(store, 'log_error_count_total'), [[9000, 1000], [9001, 1002]]);
});

test('a NaN or infinite increment is refused and counted; the total goes on', () => {
  const store = new SeriesStore({ maxSeries: 10, retentionMs: 600_000 });
  const ingest = new SeriesIngest(store, { addSuffixes: true, resourceToTelemetry: false, maxSeries: 10 });
  ingest.ingest(deltaCount(1000, 2), 5000);
  const bad = deltaCount(2000, 0);
  bad.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints[0] = { attributes: [], timeUnixNano: ns(2000), asDouble: NaN, exemplars: [] };
  assert.equal(ingest.ingest(bad, 5000).invalid, 1);
  ingest.ingest(deltaCount(3000, 3), 5000);
  assert.deepEqual(read(store, 'log_error_count_total'), [[1000, 2], [3000, 5]]);
});

// cardinality_limiter on virtual time: caps per metric, in total and per label; known series keep
// flowing; drop, strip_labels and overflow with re-aggregation; overrides; series_ttl freeing
// slots; the probabilistic mode's fixed-memory caps; metrics and one warning per interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { cardinalityLimiterProcessorFactory } from '../../src/processors/cardinality_limiter/factory.js';
import { type CardinalityLimiterConfig } from '../../src/processors/cardinality_limiter/config.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { KeyValue, Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { LogCapture } from '../helpers/exporter-harness.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const num = (v: Long | number | undefined) => (v === undefined ? undefined : Number(v.toString()));

function setup(raw: Record<string, unknown>) {
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const logs = new LogCapture();
  const ctx = { issues: [] as { message: string }[] };
  const config = cardinalityLimiterProcessorFactory.schema.parse(raw, ctx as never) as CardinalityLimiterConfig;
  assert.deepEqual(ctx.issues.map((i) => i.message), []);
  const p = cardinalityLimiterProcessorFactory.create({ id: 'cardinality_limiter', kind: 'processor', logger: createLogger('debug', logs), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
  const input = new Subject<Envelope>();
  const out: MetricsData[] = [];
  input.pipe(p.operator).subscribe((e) => out.push(e.data as MetricsData));
  const push = (metrics: Metric[]) => {
    const before = out.length;
    input.next(createEnvelope('metrics', { resourceMetrics: [{ resource: { attributes: [kv('service.name', 'cart')] }, scopeMetrics: [{ metrics }] }] }, receiverContext('otlp'), { ack: () => {}, nack: () => assert.fail() }));
    return out.length > before ? out[out.length - 1]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics : [];
  };
  return { push, scheduler, telemetry, logs };
}

const counter = (name: string, points: Array<{ attrs: KeyValue[]; v: number }>): Metric => ({
  name,
  sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: points.map((p) => ({ attributes: p.attrs, timeUnixNano: 1, asInt: Long.fromNumber(p.v), exemplars: [] })) },
});
const users = (from: number, to: number, extra: KeyValue[] = []) => Array.from({ length: to - from }, (_, i) => ({ attrs: [kv('user', `u${from + i}`), ...extra], v: 1 }));
const seriesOf = (m: Metric | undefined) => (m?.sum?.dataPoints ?? []).map((p) => [Object.fromEntries(p.attributes.map((a) => [a.key, a.value!.stringValue ?? String(a.value!.boolValue)])), num(p.asInt)]);

test('drop: new series over max_series_per_metric are dropped, known ones keep flowing; counted, one warning per interval', async () => {
  const { push, telemetry, logs, scheduler } = setup({ max_series_per_metric: 3, warning_interval: '1m' });
  assert.equal(seriesOf(push([counter('logins', users(0, 5))])[0]).length, 3);
  assert.equal(seriesOf(push([counter('logins', users(0, 5))])[0]).length, 3, 'the first three keep flowing, the new two keep being dropped');
  const text = await telemetry.render();
  assert.match(text, /sluice_cardinality_limited_points_total\{processor="cardinality_limiter",metric="logins",action="drop"\} 4/);
  assert.match(text, /sluice_cardinality_series\{processor="cardinality_limiter",metric="logins"\} 3/);
  const warnings = logs.lines.filter((l) => String(l.msg).startsWith('metric over its cardinality limit'));
  assert.equal(warnings.length, 1, 'one warning per metric per interval');
  assert.equal(warnings[0]!.metric, 'logins');
  assert.equal(warnings[0]!.highest_cardinality_label, 'user');
  scheduler.frame += 61_000;
  push([counter('logins', users(10, 11))]);
  assert.equal(logs.lines.filter((l) => String(l.msg).startsWith('metric over its cardinality limit')).length, 2);
});

test('max_series_total across metrics and max_values_per_label per metric and label', () => {
  const total = setup({ max_series_total: 4 });
  total.push([counter('a', users(0, 3))]);
  assert.equal(seriesOf(total.push([counter('b', users(0, 3))])[0]).length, 1, 'only one slot left in total');
  const labels = setup({ max_values_per_label: 2 });
  const out = labels.push([counter('http', [
    { attrs: [kv('route', '/a'), kv('code', '200')], v: 1 },
    { attrs: [kv('route', '/b'), kv('code', '200')], v: 1 },
    { attrs: [kv('route', '/c'), kv('code', '200')], v: 1 },
    { attrs: [kv('route', '/a'), kv('code', '500')], v: 1 },
  ])]);
  assert.deepEqual(seriesOf(out[0]).map(([a]) => a), [{ route: '/a', code: '200' }, { route: '/b', code: '200' }, { route: '/a', code: '500' }], 'a third route is over its label cap; a new combination of known values is not');
});

test('strip_labels removes the named labels from limited points and adds up the ones that collide', () => {
  const { push } = setup({ max_series_per_metric: 2, action: 'strip_labels', strip_labels: ['user'] });
  const out = push([counter('logins', users(0, 5, [kv('region', 'eu')]))]);
  assert.deepEqual(seriesOf(out[0]), [
    [{ user: 'u0', region: 'eu' }, 1],
    [{ user: 'u1', region: 'eu' }, 1],
    [{ region: 'eu' }, 3],
  ]);
});

test('overflow folds limited points into otel.metric.overflow=true: sums added, gauges last value, histograms merged', () => {
  const { push } = setup({ max_series_per_metric: 1, action: 'overflow' });
  const gauge: Metric = { name: 'temp', gauge: { dataPoints: [1, 2, 3].map((t) => ({ attributes: [kv('room', `r${t}`)], timeUnixNano: Long.fromNumber(t), asDouble: t * 10, exemplars: [] })) } };
  const hist: Metric = {
    name: 'latency',
    histogram: { aggregationTemporality: 1, dataPoints: [1, 2, 3].map((t) => ({ attributes: [kv('user', `u${t}`)], timeUnixNano: Long.fromNumber(t), count: Long.fromNumber(2), sum: 5, bucketCounts: [Long.fromNumber(1), Long.fromNumber(1)], explicitBounds: [10], exemplars: [] })) },
  };
  const out = push([counter('logins', users(0, 4)), gauge, hist]);
  assert.deepEqual(seriesOf(out[0]), [[{ user: 'u0' }, 1], [{ 'otel.metric.overflow': 'true' }, 3]]);
  const g = out[1]!.gauge!.dataPoints;
  assert.deepEqual(g.map((p) => [p.attributes[0]!.key, p.asDouble]), [['room', 10], ['otel.metric.overflow', 30]]);
  const h = out[2]!.histogram!.dataPoints[1]!;
  assert.deepEqual([num(h.count), h.sum, h.bucketCounts.map(num)], [4, 10, [2, 2]]);
});

test('overrides by name and regexp; series_ttl frees the slots of quiet series (virtual time)', () => {
  const { push, scheduler } = setup({ max_series_per_metric: 1, overrides: [{ metric: '^http\\.', match_type: 'regexp', max_series_per_metric: 3 }], series_ttl: '10m' });
  assert.equal(seriesOf(push([counter('http.requests', users(0, 5))])[0]).length, 3);
  assert.equal(seriesOf(push([counter('jobs', users(0, 5))])[0]).length, 1);
  scheduler.frame += 11 * 60_000;
  assert.deepEqual(seriesOf(push([counter('jobs', users(7, 8))])[0]).map(([a]) => a), [{ user: 'u7' }], 'the quiet series freed its slot');
});

test('probabilistic mode: fixed memory, about max_series_per_metric series admitted, known ones keep flowing', () => {
  const { push } = setup({ mode: 'probabilistic', max_series_per_metric: 1000 });
  let admitted = 0;
  for (let i = 0; i < 5000; i += 500) admitted += seriesOf(push([counter('logins', users(i, i + 500))])[0]).length;
  // The cap is an estimate (HyperLogLog, ±1.6 % standard error: 3σ ≈ ±50), and past it a new series
  // passes when the Bloom filter takes it for a known one (1 % of the 4,000 newcomers ≈ 40, twice that as a bound).
  assert.ok(admitted >= 950 && admitted <= 1050 + 80, `${admitted} of 5000 series admitted at a limit of 1000`);
  const again = seriesOf(push([counter('logins', users(0, 500))])[0]).length;
  assert.ok(again >= 495, `${again} of the first 500 series still flow`);
  const ctx = { issues: [] as { message: string }[] };
  cardinalityLimiterProcessorFactory.schema.parse({ mode: 'probabilistic', max_values_per_label: 5 }, ctx as never);
  assert.match(ctx.issues[0]!.message, /max_values_per_label needs mode exact/);
});

// cumulativetodelta: deltas per stream with their intervals, resets, first points (initial_value),
// include/exclude, out-of-order points, histograms, and staleness on virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { cumulativeToDeltaProcessorFactory } from '../../src/processors/cumulativetodelta/factory.js';
import { type CumulativeToDeltaConfig } from '../../src/processors/cumulativetodelta/config.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

const NS = 1_000_000n;
const ns = (ms: number) => Long.fromString((BigInt(ms) * NS).toString(), true);
const num = (v: Long | number | undefined) => (v === undefined ? undefined : Number(v.toString()));

function setup(raw: Record<string, unknown>) {
  const scheduler = new VirtualTimeScheduler();
  scheduler.frame = 1_000_000; // the processor starts at t = 1,000,000 ms
  const ctx = { issues: [] as unknown[] };
  const config = cumulativeToDeltaProcessorFactory.schema.parse(raw, ctx as never) as CumulativeToDeltaConfig;
  assert.deepEqual(ctx.issues, []);
  const telemetry = new Telemetry();
  const p = cumulativeToDeltaProcessorFactory.create({ id: 'cumulativetodelta', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
  const input = new Subject<Envelope>();
  const out: MetricsData[] = [];
  let acked = 0;
  input.pipe(p.operator).subscribe((e) => out.push(e.data as MetricsData));
  const push = (metrics: Metric[]) => {
    const before = out.length;
    input.next(createEnvelope('metrics', { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics }] }] }, receiverContext('otlp'), { ack: () => acked++, nack: () => assert.fail() }));
    return out.length > before ? out[out.length - 1]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics : [];
  };
  return { scheduler, push, acked: () => acked, telemetry };
}

const counter = (name: string, startMs: number, timeMs: number, value: number, isInt = true): Metric => ({
  name,
  sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ attributes: [], startTimeUnixNano: ns(startMs), timeUnixNano: ns(timeMs), ...(isInt ? { asInt: Long.fromNumber(value) } : { asDouble: value }), exemplars: [] }] },
});

test('deltas with the previous point\'s time as start; a reset restarts from the new value; older points dropped; counted', async () => {
  const { push, acked, telemetry } = setup({});
  // Started before the processor: the first point is only the baseline.
  assert.deepEqual(push([counter('requests', 1000, 1_000_000, 100)]), []);
  assert.equal(acked(), 1, 'an envelope left empty is acked');
  const second = push([counter('requests', 1000, 1_060_000, 130)])[0]!;
  assert.equal(second.sum!.aggregationTemporality, 1);
  assert.equal(num(second.sum!.dataPoints[0]!.asInt), 30);
  assert.equal(num(second.sum!.dataPoints[0]!.startTimeUnixNano), 1_000_000 * 1e6);
  assert.equal(num(second.sum!.dataPoints[0]!.timeUnixNano), 1_060_000 * 1e6);
  assert.deepEqual(push([counter('requests', 1000, 1_050_000, 140)]), [], 'not newer than the previous point');
  const reset = push([counter('requests', 1_100_000, 1_120_000, 7)])[0]!;
  assert.equal(num(reset.sum!.dataPoints[0]!.asInt), 7, 'after a restart the new value is the increase');
  assert.equal(num(reset.sum!.dataPoints[0]!.startTimeUnixNano), 1_100_000 * 1e6);
  const smaller = push([counter('requests', 1_100_000, 1_180_000, 3, true)])[0]!;
  assert.equal(num(smaller.sum!.dataPoints[0]!.asInt), 3, 'a smaller value is a reset too');
  const text = await telemetry.render();
  assert.match(text, /sluice_cumulativetodelta_datapoints_withheld\{processor="cumulativetodelta",reason="baseline"\} 1/);
  assert.match(text, /sluice_cumulativetodelta_datapoints_withheld\{processor="cumulativetodelta",reason="out_of_order"\} 1/);
  assert.match(text, /sluice_cumulativetodelta_streams_tracked\{processor="cumulativetodelta"\} 1/);
});

test('initial_value: auto keeps a stream that began after the processor; keep and drop; doubles; non-monotonic and gauges untouched', () => {
  const auto = setup({});
  assert.equal(auto.push([counter('new', 1_000_500, 1_001_000, 2.5, false)])[0]!.sum!.dataPoints[0]!.asDouble, 2.5);
  const keep = setup({ initial_value: 'keep' });
  assert.equal(num(keep.push([counter('old', 1000, 1_000_000, 40)])[0]!.sum!.dataPoints[0]!.asInt), 40);
  const drop = setup({ initial_value: 'drop' });
  assert.deepEqual(drop.push([counter('new', 1_000_500, 1_001_000, 2)]), []);
  const gauge: Metric = { name: 'temp', gauge: { dataPoints: [{ attributes: [], timeUnixNano: ns(1_000_000), asDouble: 21, exemplars: [] }] } };
  const upDown: Metric = { name: 'queue', sum: { isMonotonic: false, aggregationTemporality: 2, dataPoints: [{ attributes: [], timeUnixNano: ns(1_000_000), asInt: 4, exemplars: [] }] } };
  const passed = drop.push([gauge, upDown]);
  assert.equal(passed.length, 2);
  assert.equal(passed[1]!.sum!.aggregationTemporality, 2, 'non-monotonic sums stay cumulative, as in the Collector');
});

test('include/exclude by name and regexp select the streams converted', () => {
  const { push } = setup({ include: { metrics: ['^http\\.'], match_type: 'regexp' }, exclude: { metrics: ['http.skip'] }, initial_value: 'keep' });
  const out = push([counter('http.requests', 1000, 1_000_000, 5), counter('http.skip', 1000, 1_000_000, 5), counter('db.calls', 1000, 1_000_000, 5)]);
  assert.deepEqual(out.map((m) => [m.name, m.sum!.aggregationTemporality]), [
    ['http.requests', 1],
    ['http.skip', 2],
    ['db.calls', 2],
  ]);
});

test('histograms: bucket, count and sum deltas; min/max removed; a bounds change restarts the stream', () => {
  const { push } = setup({ initial_value: 'keep' });
  const hist = (timeMs: number, counts: number[], sum: number, bounds = [10, 100]): Metric => ({
    name: 'latency',
    histogram: { aggregationTemporality: 2, dataPoints: [{ attributes: [], startTimeUnixNano: ns(1000), timeUnixNano: ns(timeMs), count: Long.fromNumber(counts.reduce((a, b) => a + b, 0)), sum, bucketCounts: counts.map((c) => Long.fromNumber(c)), explicitBounds: bounds, min: 1, max: 500, exemplars: [] }] },
  });
  push([hist(1_000_000, [1, 2, 3], 100)]);
  const d = push([hist(1_060_000, [2, 5, 3], 180)])[0]!.histogram!.dataPoints[0]!;
  assert.deepEqual(d.bucketCounts.map(num), [1, 3, 0]);
  assert.equal(num(d.count), 4);
  assert.equal(d.sum, 80);
  assert.equal(d.min, undefined);
  assert.equal(d.max, undefined);
  const changed = push([hist(1_120_000, [9, 9], 50, [50])])[0]!.histogram!.dataPoints[0]!;
  assert.deepEqual(changed.bucketCounts.map(num), [9, 9], 'new bounds: the point is the stream\'s new beginning');
});

test('max_staleness forgets a stream not seen for that long (virtual time); max_streams drops points of new streams', () => {
  const { push, scheduler } = setup({ max_staleness: '5m' });
  push([counter('requests', 1000, 1_000_000, 100)]);
  scheduler.frame += 6 * 60_000;
  assert.deepEqual(push([counter('requests', 1000, 1_400_000, 160)]), [], 'forgotten: the point is a baseline again');
  const limited = setup({ max_streams: 1, initial_value: 'keep' });
  assert.equal(limited.push([counter('a', 1000, 1_000_000, 1)]).length, 1);
  assert.deepEqual(limited.push([counter('b', 1000, 1_000_000, 1)]), [], 'no room for a second stream');
});

// deltatocumulative: running totals per stream from the first point's start, histograms bucket by
// bucket, exponential histograms across scales, overlapping and out-of-order points dropped and
// counted, staleness on virtual time and the stream bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { deltaToCumulativeProcessorFactory } from '../../src/processors/deltatocumulative/factory.js';
import { type DeltaToCumulativeConfig } from '../../src/processors/deltatocumulative/config.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

const ns = (ms: number) => Long.fromString((BigInt(ms) * 1_000_000n).toString(), true);
const num = (v: Long | number | undefined) => (v === undefined ? undefined : Number(v.toString()));

function setup(raw: Record<string, unknown> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const ctx = { issues: [] as unknown[] };
  const config = deltaToCumulativeProcessorFactory.schema.parse(raw, ctx as never) as DeltaToCumulativeConfig;
  assert.deepEqual(ctx.issues, []);
  const p = deltaToCumulativeProcessorFactory.create({ id: 'deltatocumulative', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
  const input = new Subject<Envelope>();
  const out: MetricsData[] = [];
  input.pipe(p.operator).subscribe((e) => out.push(e.data as MetricsData));
  const push = (metrics: Metric[]) => {
    const before = out.length;
    input.next(createEnvelope('metrics', { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics }] }] }, receiverContext('otlp'), { ack: () => {}, nack: () => assert.fail() }));
    return out.length > before ? out[out.length - 1]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics : [];
  };
  return { scheduler, telemetry, push };
}

const delta = (startMs: number, timeMs: number, value: number, name = 'requests'): Metric => ({
  name,
  sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [{ attributes: [{ key: 'route', value: { stringValue: '/a' } }], startTimeUnixNano: ns(startMs), timeUnixNano: ns(timeMs), asInt: Long.fromNumber(value), exemplars: [] }] },
});

test('sums: running totals from the first start time; out-of-order and overlapping points dropped and counted', async () => {
  const { push, telemetry } = setup();
  const first = push([delta(1, 10_000, 5)])[0]!;
  assert.equal(first.sum!.aggregationTemporality, 2);
  assert.equal(num(first.sum!.dataPoints[0]!.asInt), 5);
  const second = push([delta(10_000, 20_000, 7)])[0]!.sum!.dataPoints[0]!;
  assert.equal(num(second.asInt), 12);
  assert.equal(num(second.startTimeUnixNano), 1e6, 'start stays the stream\'s first');
  assert.equal(num(second.timeUnixNano), 20_000 * 1e6);
  assert.deepEqual(push([delta(15_000, 25_000, 1)]), [], 'overlaps what was added');
  assert.deepEqual(push([delta(19_000, 20_000, 1)]), [], 'not newer');
  assert.equal(num(push([delta(20_000, 30_000, 3)])[0]!.sum!.dataPoints[0]!.asInt), 15);
  const text = await telemetry.render();
  assert.match(text, /otelcol_deltatocumulative_datapoints_dropped\{processor="deltatocumulative",reason="overlapping_interval"\} 1/);
  assert.match(text, /otelcol_deltatocumulative_datapoints_dropped\{processor="deltatocumulative",reason="out_of_order"\} 1/);
  assert.match(text, /otelcol_deltatocumulative_streams_tracked\{processor="deltatocumulative"\} 1/);
});

test('explicit histograms add bucket by bucket with min/max; new bounds start over', () => {
  const { push } = setup();
  const hist = (start: number, time: number, counts: number[], sum: number, min: number, max: number, bounds = [10, 100]): Metric => ({
    name: 'latency',
    histogram: { aggregationTemporality: 1, dataPoints: [{ attributes: [], startTimeUnixNano: ns(start), timeUnixNano: ns(time), count: Long.fromNumber(counts.reduce((a, b) => a + b, 0)), sum, bucketCounts: counts.map((c) => Long.fromNumber(c)), explicitBounds: bounds, min, max, exemplars: [] }] },
  });
  push([hist(0, 1000, [1, 2, 0], 60, 3, 90)]);
  const p = push([hist(1000, 2000, [0, 1, 4], 900, 20, 400)])[0]!.histogram!.dataPoints[0]!;
  assert.deepEqual(p.bucketCounts.map(num), [1, 3, 4]);
  assert.equal(num(p.count), 8);
  assert.equal(p.sum, 960);
  assert.deepEqual([p.min, p.max], [3, 400]);
  const restarted = push([hist(2000, 3000, [2, 2], 30, 1, 20, [50])])[0]!.histogram!.dataPoints[0]!;
  assert.deepEqual(restarted.bucketCounts.map(num), [2, 2]);
  assert.equal(num(restarted.startTimeUnixNano), 2000 * 1e6);
});

test('exponential histograms merge at the coarser scale', () => {
  const { push } = setup();
  const expo = (start: number, time: number, scale: number, offset: number, counts: number[]): Metric => ({
    name: 'size',
    exponentialHistogram: {
      aggregationTemporality: 1,
      dataPoints: [{ attributes: [], startTimeUnixNano: ns(start), timeUnixNano: ns(time), scale, count: Long.fromNumber(counts.reduce((a, b) => a + b, 0)), sum: 1, zeroCount: Long.fromNumber(1), positive: { offset, bucketCounts: counts.map((c) => Long.fromNumber(c)) }, exemplars: [] }],
    },
  });
  push([expo(0, 1000, 1, 4, [1, 1, 1, 1])]); // indices 4..7 at scale 1
  const p = push([expo(1000, 2000, 0, 1, [5, 5])])[0]!.exponentialHistogram!.dataPoints[0]!; // indices 1..2 at scale 0
  // Scale 1 indices 4,5 → 2 and 6,7 → 3 at scale 0; plus 5 at 1 and 5 at 2.
  assert.equal(p.scale, 0);
  assert.deepEqual({ offset: p.positive!.offset, counts: p.positive!.bucketCounts.map(num) }, { offset: 1, counts: [5, 7, 2] });
  assert.equal(num(p.zeroCount), 2);
  assert.equal(num(p.count), 14);
});

test('max_stale forgets quiet streams (virtual time); max_streams drops points of new streams', () => {
  const { push, scheduler } = setup({ max_stale: '1m', max_streams: 1 });
  push([delta(0, 1000, 5)]);
  assert.deepEqual(push([delta(0, 1000, 5, 'other')]), [], 'only one stream fits');
  scheduler.frame += 2 * 60_000;
  assert.equal(num(push([delta(1000, 2000, 4)])[0]!.sum!.dataPoints[0]!.asInt), 4, 'forgotten: counting starts over');
});

// interval: one point per stream per interval on virtual time: latest gauge and cumulative values,
// summed delta sums and histograms, pass-through, the stream bound, a flush at shutdown, and
// what happens to a window the next component refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { intervalProcessorFactory } from '../../src/processors/interval/factory.js';
import { type IntervalConfig } from '../../src/processors/interval/config.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

const ns = (ms: number) => Long.fromNumber(ms, true).multiply(1_000_000);
const num = (v: Long | number | undefined) => (v === undefined ? undefined : Number(v.toString()));
const attrs = (route: string) => [{ key: 'route', value: { stringValue: route } }];

const gauge = (t: number, v: number, route = '/a'): Metric => ({ name: 'temp', gauge: { dataPoints: [{ attributes: attrs(route), timeUnixNano: ns(t), asDouble: v, exemplars: [] }] } });
const cumulative = (t: number, v: number): Metric => ({ name: 'requests', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ attributes: attrs('/a'), startTimeUnixNano: ns(0), timeUnixNano: ns(t), asInt: Long.fromNumber(v), exemplars: [] }] } });
const delta = (t: number, v: number): Metric => ({ name: 'jobs', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [{ attributes: attrs('/a'), startTimeUnixNano: ns(t - 1000), timeUnixNano: ns(t), asInt: Long.fromNumber(v), exemplars: [] }] } });
const hist = (t: number, counts: number[]): Metric => ({
  name: 'latency',
  histogram: { aggregationTemporality: 1, dataPoints: [{ attributes: [], startTimeUnixNano: ns(t - 1000), timeUnixNano: ns(t), count: Long.fromNumber(counts.reduce((a, b) => a + b, 0)), sum: 10, bucketCounts: counts.map((c) => Long.fromNumber(c)), explicitBounds: [5], min: 1, max: 9, exemplars: [] }] },
});

function setup(raw: Record<string, unknown>) {
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const ctx = { issues: [] as unknown[] };
  const config = intervalProcessorFactory.schema.parse(raw, ctx as never) as IntervalConfig;
  assert.deepEqual(ctx.issues, []);
  const p = intervalProcessorFactory.create({ id: 'interval', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
  const input = new Subject<Envelope>();
  const out: Envelope[] = [];
  let acked = 0;
  input.pipe(p.operator).subscribe((e) => out.push(e));
  const push = (metrics: Metric[]) =>
    input.next(createEnvelope('metrics', { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: 's', attributes: [] }, metrics }] }] }, receiverContext('otlp'), { ack: () => acked++, nack: () => assert.fail() }));
  const advance = (ms: number) => {
    scheduler.maxFrames = scheduler.frame + ms;
    scheduler.flush();
  };
  return { push, advance, out, acked: () => acked, complete: () => input.complete(), telemetry };
}

const byName = (e: Envelope) => Object.fromEntries((e.data as MetricsData).resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => [m.name!, m]))));

test('one point per stream per interval: latest gauge and cumulative, summed deltas; sources acked at once', async () => {
  const { push, advance, out, acked, telemetry } = setup({ interval: '10s' });
  push([gauge(1000, 20), cumulative(1000, 5), delta(1000, 2), hist(1000, [1, 1])]);
  push([gauge(2000, 22), cumulative(2000, 9), delta(2000, 3), hist(2000, [0, 4]), gauge(2000, 7, '/b')]);
  assert.equal(acked(), 2, 'held points are acknowledged once in the window');
  assert.match(await telemetry.render(), /sluice_interval_streams_held\{processor="interval"\} 5/);
  assert.equal(out.length, 0, 'nothing leaves before the interval');
  advance(10_000);
  assert.equal(out.length, 1);
  const m = byName(out[0]!);
  assert.deepEqual(m.temp!.gauge!.dataPoints.map((p) => [p.attributes[0]!.value!.stringValue, p.asDouble]), [['/a', 22], ['/b', 7]]);
  assert.equal(num(m.requests!.sum!.dataPoints[0]!.asInt), 9);
  const jobs = m.jobs!.sum!.dataPoints[0]!;
  assert.equal(num(jobs.asInt), 5);
  assert.equal(num(jobs.startTimeUnixNano), 0, 'the summed delta spans both intervals');
  const h = m.latency!.histogram!.dataPoints[0]!;
  assert.deepEqual(h.bucketCounts.map(num), [1, 5]);
  assert.equal(num(h.count), 6);
  assert.equal(out[0]!.items, 5);
  advance(10_000);
  assert.equal(out.length, 1, 'an empty window sends nothing');
});

test('pass_through, the stream bound, a flush when the pipeline stops, and a refused window counted', async () => {
  const { push, out, complete, telemetry } = setup({ interval: '1m', pass_through: { gauge: true }, max_streams: 1 });
  push([gauge(1000, 20), cumulative(1000, 5), delta(1000, 1)]);
  assert.equal(out.length, 1, 'the gauge and the stream beyond the bound pass through');
  assert.deepEqual(Object.keys(byName(out[0]!)).sort(), ['jobs', 'temp']);
  complete();
  assert.equal(out.length, 2, 'the window is sent when the pipeline stops');
  assert.deepEqual(Object.keys(byName(out[1]!)), ['requests']);
  out[1]!.nack(new Error('backend down'));
  assert.match(await telemetry.render(), /otelcol_processor_dropped_metric_points\{processor="interval"\} 1/);
});

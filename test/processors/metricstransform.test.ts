// metricstransform: rename (strict and regexp with groups), insert a transformed copy, combine
// metrics whose names carry a label, label operations, and aggregation by every type, with
// histograms merged bucket by bucket and mismatched bounds dropped and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, asyncScheduler } from 'rxjs';
import Long from 'long';
import { metricsTransformProcessorFactory } from '../../src/processors/metricstransform/factory.js';
import { type MetricsTransformConfig } from '../../src/processors/metricstransform/config.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { KeyValue, Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const num = (v: Long | number | undefined) => (v === undefined ? undefined : Number(v.toString()));

function run(transforms: unknown[], metrics: Metric[], telemetry = new Telemetry()): Metric[] {
  const ctx = { issues: [] as { message: string }[] };
  const config = metricsTransformProcessorFactory.schema.parse({ transforms }, ctx as never) as MetricsTransformConfig;
  assert.deepEqual(ctx.issues.map((i) => i.message), []);
  const p = metricsTransformProcessorFactory.create({ id: 'metricstransform', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
  const input = new Subject<Envelope>();
  const out: MetricsData[] = [];
  input.pipe(p.operator).subscribe((e) => out.push(e.data as MetricsData));
  input.next(createEnvelope('metrics', { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics }] }] }, receiverContext('otlp'), { ack: () => {}, nack: () => {} }));
  return out[0]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
}

const gauge = (name: string, points: Array<[KeyValue[], number]>): Metric => ({ name, gauge: { dataPoints: points.map(([attributes, v]) => ({ attributes, timeUnixNano: 1, asDouble: v, exemplars: [] })) } });
const sum = (name: string, points: Array<[KeyValue[], number]>): Metric => ({ name, sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: points.map(([attributes, v]) => ({ attributes, timeUnixNano: 1, asInt: Long.fromNumber(v), exemplars: [] })) } });
const view = (m: Metric) => [m.name, (m.gauge ?? m.sum)!.dataPoints.map((p) => [Object.fromEntries(p.attributes.map((a) => [a.key, a.value!.stringValue])), p.asDouble ?? num(p.asInt)])];

test('update renames by name or regexp groups; insert adds a transformed copy', () => {
  const out = run(
    [
      { include: 'old.name', action: 'update', new_name: 'new.name' },
      { include: '^http\\.(?<dir>server|client)\\.duration$', match_type: 'regexp', action: 'update', new_name: 'http.$1.latency', submatch_case: 'upper' },
      { include: 'requests', action: 'insert', new_name: 'requests.by_route', operations: [{ action: 'aggregate_labels', label_set: ['route'], aggregation_type: 'sum' }] },
    ],
    [gauge('old.name', [[[], 1]]), gauge('http.server.duration', [[[], 2]]), sum('requests', [[[kv('route', '/a'), kv('pod', 'p1')], 3], [[kv('route', '/a'), kv('pod', 'p2')], 4]])],
  );
  assert.deepEqual(out.map((m) => m.name), ['new.name', 'http.SERVER.latency', 'requests', 'requests.by_route']);
  assert.deepEqual(view(out[3]!), ['requests.by_route', [[{ route: '/a' }, 7]]]);
  assert.equal(out[2]!.sum!.dataPoints.length, 2, 'the original is untouched');
});

test('combine: metrics whose names carry a label (Go-style named group) become one metric with that label', () => {
  const out = run(
    [{ include: '^system\\.cpu\\.(?P<state>user|system|idle)$', match_type: 'regexp', action: 'combine', new_name: 'system.cpu.time' }],
    [sum('system.cpu.user', [[[kv('cpu', '0')], 10]]), sum('system.cpu.system', [[[kv('cpu', '0')], 5]]), sum('system.cpu.idle', [[[kv('cpu', '0')], 85]]), gauge('other', [[[], 1]])],
  );
  assert.deepEqual(out.map((m) => m.name), ['other', 'system.cpu.time']);
  assert.deepEqual(view(out[1]!)[1], [
    [{ cpu: '0', state: 'user' }, 10],
    [{ cpu: '0', state: 'system' }, 5],
    [{ cpu: '0', state: 'idle' }, 85],
  ]);
});

test('label operations: add, rename with value mapping, delete a value', () => {
  const out = run(
    [
      {
        include: 'm',
        action: 'update',
        operations: [
          { action: 'add_label', new_label: 'env', new_value: 'prod' },
          { action: 'update_label', label: 'st', new_label: 'status', value_actions: [{ value: 'e', new_value: 'error' }] },
          { action: 'delete_label_value', label: 'status', label_value: 'skip' },
        ],
      },
    ],
    [gauge('m', [[[kv('st', 'e')], 1], [[kv('st', 'ok')], 2], [[kv('st', 'skip')], 3]])],
  );
  assert.deepEqual(view(out[0]!)[1], [
    [{ status: 'error', env: 'prod' }, 1],
    [{ status: 'ok', env: 'prod' }, 2],
  ]);
});

test('aggregate_labels and aggregate_label_values with every aggregation type', () => {
  const points: Array<[KeyValue[], number]> = [1, 2, 3, 10].map((v, i) => [[kv('route', i < 2 ? '/a' : '/b'), kv('pod', `p${i}`)], v]);
  const expected: Record<string, number[]> = { sum: [3, 13], mean: [1.5, 6.5], min: [1, 3], max: [2, 10], count: [2, 2], median: [1.5, 6.5] };
  for (const [type, values] of Object.entries(expected)) {
    const out = run([{ include: 'g', action: 'update', operations: [{ action: 'aggregate_labels', label_set: ['route'], aggregation_type: type }] }], [gauge('g', points)]);
    assert.deepEqual(view(out[0]!)[1], [[{ route: '/a' }, values[0]], [{ route: '/b' }, values[1]]], type);
  }
  const folded = run(
    [{ include: 'g', action: 'update', operations: [{ action: 'aggregate_label_values', label: 'route', aggregated_values: ['/a', '/b'], new_value: 'other', aggregation_type: 'max' }, { action: 'aggregate_labels', label_set: ['route'], aggregation_type: 'max' }] }],
    [gauge('g', [...points, [[kv('route', '/c'), kv('pod', 'p9')], 4]])],
  );
  assert.deepEqual(view(folded[0]!)[1], [[{ route: 'other' }, 10], [{ route: '/c' }, 4]]);
});

test('histograms merge bucket by bucket; a point with other bounds is dropped and counted', async () => {
  const telemetry = new Telemetry();
  const h = (pod: string, counts: number[], bounds = [10, 100]) => ({ attributes: [kv('route', '/a'), kv('pod', pod)], timeUnixNano: 1, count: Long.fromNumber(counts.reduce((a, b) => a + b, 0)), sum: 10, bucketCounts: counts.map((c) => Long.fromNumber(c)), explicitBounds: bounds, exemplars: [] });
  const out = run([{ include: 'lat', action: 'update', operations: [{ action: 'aggregate_labels', label_set: ['route'], aggregation_type: 'sum' }] }], [{ name: 'lat', histogram: { aggregationTemporality: 2, dataPoints: [h('p1', [1, 2, 3]), h('p2', [4, 5, 6]), h('p3', [1, 1], [50])] } }], telemetry);
  const p = out[0]!.histogram!.dataPoints;
  assert.equal(p.length, 1);
  assert.deepEqual([p[0]!.bucketCounts.map(num), num(p[0]!.count), p[0]!.sum], [[5, 7, 9], 21, 20]);
  assert.match(await telemetry.render(), /otelcol_processor_dropped_metric_points\{processor="metricstransform"\} 1/);
});

test('config errors name what is missing', () => {
  const issues = (transforms: unknown[]) => {
    const ctx = { issues: [] as { message: string }[] };
    metricsTransformProcessorFactory.schema.parse({ transforms }, ctx as never);
    return ctx.issues.map((i) => i.message).join('\n');
  };
  assert.match(issues([{ include: 'a', action: 'insert' }]), /action insert needs new_name/);
  assert.match(issues([{ include: 'a', action: 'combine', new_name: 'b' }]), /combine needs match_type regexp/);
  assert.match(issues([{ include: 'a', action: 'update', operations: [{ action: 'aggregate_labels' }] }]), /aggregate_labels needs aggregation_type/);
  assert.match(issues([{ include: '(', match_type: 'regexp', action: 'update' }]), /invalid regular expression/);
});

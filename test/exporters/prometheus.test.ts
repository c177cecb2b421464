// The prometheus exporter's exposition: names, labels, types, delta accumulation, exponential
// histograms, target_info, expiration and OpenMetrics exemplars, read over HTTP as a scraper would;
// and the bounds on what it holds: expiry on its own timer and the max_series cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { defaultMaxSeries, prometheusExporterFactory, type PrometheusExporter } from '../../src/exporters/prometheus/factory.js';
import { exponentialToExplicit } from '../../src/codec/prometheus-model.js';
import { createEnvelope, receiverContext } from '../../src/pipeline/envelope.js';
import type { MetricsData, Metric, KeyValue } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import type { ValidationContext } from '../../src/config/schema.js';
import { VirtualClock } from '../helpers/virtual-time.js';
import { exporterCounter, LogCapture } from '../helpers/exporter-harness.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const T = Long.fromString('1700000000000000000', true);

function request(metrics: Metric[], resource: KeyValue[] = [kv('service.name', 'cart'), kv('service.namespace', 'shop'), kv('service.instance.id', 'pod-1'), kv('host.name', 'node-7')]): MetricsData {
  return { resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ scope: { name: 'meter', version: '1.0', attributes: [] }, metrics }] }] };
}

async function exporter(raw: Record<string, unknown>) {
  const clock = new VirtualClock();
  const ctx: ValidationContext = { issues: [] };
  const config = prometheusExporterFactory.schema.parse({ endpoint: '127.0.0.1:0', ...raw }, ctx)!;
  assert.deepEqual(ctx.issues, []);
  const telemetry = new Telemetry();
  const logs = new LogCapture();
  const e = prometheusExporterFactory.create(
    { id: 'prometheus', kind: 'exporter', logger: createLogger('info', logs), telemetry, scheduler: clock.scheduler, reportStatus: () => {}, extension: () => undefined },
    config,
    'metrics',
  ) as PrometheusExporter;
  await e.start();
  const push = (data: MetricsData) =>
    new Promise<void>((resolve, reject) => e.consume(createEnvelope('metrics', data, receiverContext('otlp'), { ack: resolve, nack: reject })));
  const scrape = async (accept?: string) => {
    const res = await fetch(`http://127.0.0.1:${e.port()}/metrics`, { headers: accept ? { accept } : {} });
    return { type: res.headers.get('content-type'), text: await res.text() };
  };
  const metric = (name: string) => exporterCounter(telemetry, name, 'prometheus');
  const stop = () => e.shutdown(clock.now());
  return { stop, push, scrape, clock, metric, logs };
}

test('gauges, counters, delta sums, histograms and summaries in the text format', async () => {
  const { stop, push, scrape } = await exporter({});
  try {
    const point = (value: number, attrs: KeyValue[] = []) => ({ attributes: attrs, timeUnixNano: T, asDouble: value, exemplars: [] });
    await push(
      request([
        { name: 'system.memory.utilization', unit: '1', description: 'Memory in use', gauge: { dataPoints: [point(0.5)] } },
        { name: 'http.requests', unit: '{request}', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [point(7, [kv('http.route', '/cart')])] } },
        { name: 'queue.depth', sum: { isMonotonic: false, aggregationTemporality: 2, dataPoints: [point(-3)] } },
        { name: 'jobs.done', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [point(2)] } },
        {
          name: 'http.server.request.duration',
          unit: 's',
          histogram: { aggregationTemporality: 2, dataPoints: [{ attributes: [], timeUnixNano: T, count: 6, sum: 1.5, bucketCounts: [1, 2, 3], explicitBounds: [0.1, 0.5], exemplars: [] }] },
        },
        { name: 'rpc.latency', unit: 'ms', summary: { dataPoints: [{ attributes: [], timeUnixNano: T, count: 4, sum: 40, quantileValues: [{ quantile: 0.5, value: 9 }, { quantile: 0.99, value: 20 }] }] } },
      ]),
    );
    await push(request([{ name: 'jobs.done', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [point(3)] } }]));
    const { type, text } = await scrape();
    assert.match(type ?? '', /^text\/plain; version=0\.0\.4/);
    const base = 'instance="pod-1",job="shop/cart",otel_scope_name="meter",otel_scope_version="1.0"';
    const expected = [
      '# TYPE http_requests_total counter',
      `http_requests_total{http_route="/cart",${base}} 7`,
      '# TYPE http_server_request_duration_seconds histogram',
      `http_server_request_duration_seconds_bucket{${base},le="0.1"} 1`,
      `http_server_request_duration_seconds_bucket{${base},le="0.5"} 3`,
      `http_server_request_duration_seconds_bucket{${base},le="+Inf"} 6`,
      `http_server_request_duration_seconds_sum{${base}} 1.5`,
      `http_server_request_duration_seconds_count{${base}} 6`,
      '# TYPE jobs_done_total counter',
      `jobs_done_total{${base}} 5`,
      '# TYPE queue_depth gauge',
      `queue_depth{${base}} -3`,
      '# TYPE rpc_latency_milliseconds summary',
      `rpc_latency_milliseconds{${base},quantile="0.5"} 9`,
      `rpc_latency_milliseconds{${base},quantile="0.99"} 20`,
      `rpc_latency_milliseconds_sum{${base}} 40`,
      `rpc_latency_milliseconds_count{${base}} 4`,
      '# HELP system_memory_utilization_ratio Memory in use',
      '# TYPE system_memory_utilization_ratio gauge',
      `system_memory_utilization_ratio{${base}} 0.5`,
      '# HELP target_info Target metadata',
      '# TYPE target_info gauge',
      'target_info{host_name="node-7",instance="pod-1",job="shop/cart"} 1',
    ];
    assert.deepEqual(text.trimEnd().split('\n'), expected);
  } finally {
    await stop();
  }
});

test('resource_to_telemetry_conversion, const_labels, namespace, and expiration of stale series', async () => {
  const { stop, push, scrape, clock } = await exporter({ namespace: 'edge', const_labels: { 'deploy.env': 'prod' }, resource_to_telemetry_conversion: { enabled: true }, metric_expiration: '1m' });
  try {
    await push(request([{ name: 'up.time', unit: 's', gauge: { dataPoints: [{ attributes: [], timeUnixNano: T, asInt: 12, exemplars: [] }] } }]));
    const first = (await scrape()).text;
    assert.match(first, /^edge_up_time_seconds\{deploy_env="prod",host_name="node-7",instance="pod-1",job="shop\/cart",otel_scope_name="meter",otel_scope_version="1.0"\} 12$/m);
    assert.doesNotMatch(first, /target_info/, 'resource attributes are on every series instead');
    await clock.advance(61_000);
    assert.equal((await scrape()).text, '', 'the series expired');
  } finally {
    await stop();
  }
});

test('OpenMetrics on request, with exemplars on counters and histogram buckets', async () => {
  const { stop, push, scrape } = await exporter({ enable_open_metrics: true });
  try {
    const exemplar = { filteredAttributes: [], timeUnixNano: T, asDouble: 0.3, traceId: new Uint8Array(16).fill(0xab), spanId: new Uint8Array(8).fill(0xcd) };
    await push(
      request(
        [
          { name: 'orders', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ attributes: [], timeUnixNano: T, asInt: 3, exemplars: [{ ...exemplar, asDouble: 1 }] }] } },
          { name: 'latency', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: [{ attributes: [], timeUnixNano: T, count: 2, sum: 0.4, bucketCounts: [1, 1, 0], explicitBounds: [0.1, 0.5], exemplars: [exemplar] }] } },
        ],
        [kv('service.name', 'cart')],
      ),
    );
    const om = await scrape('application/openmetrics-text; version=1.0.0');
    assert.match(om.type ?? '', /^application\/openmetrics-text; version=1\.0\.0/);
    const trace = 'ab'.repeat(16);
    const span = 'cd'.repeat(8);
    assert.match(om.text, /^# TYPE orders counter$/m);
    assert.match(om.text, new RegExp(`^orders_total\\{job="cart",otel_scope_name="meter",otel_scope_version="1.0"\\} 3 # \\{trace_id="${trace}",span_id="${span}"\\} 1 1700000000.000$`, 'm'));
    assert.match(om.text, new RegExp(`^latency_seconds_bucket\\{[^}]*le="0.5"\\} 2 # \\{trace_id="${trace}",span_id="${span}"\\} 0.3 1700000000.000$`, 'm'));
    assert.ok(om.text.endsWith('# EOF\n'));
    const plain = await scrape();
    assert.doesNotMatch(plain.text, /trace_id/, 'the text format carries no exemplars');
  } finally {
    await stop();
  }
});

test('exponential histograms become classic buckets with exact bounds, the last one +Inf', () => {
  // scale 0: base 2; positive buckets at offset 1 cover (2,4], (4,8]; negative offset 0 covers (-2,-1].
  const { bounds, counts } = exponentialToExplicit({
    attributes: [],
    exemplars: [],
    scale: 0,
    zeroCount: 1,
    zeroThreshold: 0,
    positive: { offset: 1, bucketCounts: [2, 3] },
    negative: { offset: 0, bucketCounts: [4] },
  });
  assert.deepEqual(bounds, [-1, 0, 4], 'the (4, 8] bucket is the +Inf one');
  assert.deepEqual(counts, [4, 1, 2, 3]);
});

const gaugeOf = (name: string, ...points: [string, number][]): Metric => ({
  name,
  gauge: { dataPoints: points.map(([series, value]) => ({ attributes: [kv('series', series)], timeUnixNano: T, asDouble: value, exemplars: [] })) },
});
/** A resource with nothing beyond job and instance, so no target_info series is added. */
const bare = [kv('service.name', 'cart')];

test('series not updated within metric_expiration are removed on the timer, with no scrape', async () => {
  const { stop, push, scrape, clock, metric } = await exporter({ metric_expiration: '1m' });
  try {
    await push(request([gaugeOf('queue.depth', ['a', 1])]));
    await clock.advance(30_000);
    await push(request([gaugeOf('queue.depth', ['b', 2])]));
    assert.equal(await metric('sluice_exporter_prometheus_series'), 3, 'a, b and target_info');
    // Sweeps run every 15 s: the one at 75 s is the first to find `a` a full minute old.
    await clock.advance(44_000);
    assert.equal(await metric('sluice_exporter_prometheus_series'), 3);
    await clock.advance(1_000);
    assert.equal(await metric('sluice_exporter_prometheus_series'), 2, 'a is gone; b and target_info were updated at 30 s');
    assert.equal(await metric('sluice_exporter_prometheus_series_expired_total'), 1);
    await clock.advance(30_000);
    assert.equal(await metric('sluice_exporter_prometheus_series'), 0);
    assert.equal(await metric('sluice_exporter_prometheus_series_expired_total'), 3);
    assert.equal((await scrape()).text, '', 'the first scrape finds nothing left');
  } finally {
    await stop();
  }
});

test('at max_series new series are dropped and counted, held ones keep updating; one warning per time the cap is reached', async () => {
  const { stop, push, scrape, clock, metric, logs } = await exporter({ max_series: 3, metric_expiration: '1m' });
  const warnings = () => logs.lines.filter((l) => l.level === 'warn' && /max_series reached/.test(String(l.msg)));
  const infos = () => logs.lines.filter((l) => l.level === 'info' && /below max_series again/.test(String(l.msg)));
  try {
    assert.equal(await metric('sluice_exporter_prometheus_series_limit'), 3);
    await push(request([gaugeOf('temp', ['s0', 0], ['s1', 1], ['s2', 2])], bare));
    assert.equal(warnings().length, 0, 'exactly at the cap nothing is dropped yet');

    await push(request([gaugeOf('temp', ['s3', 3], ['s0', 10], ['s4', 4])], bare));
    await push(request([gaugeOf('temp', ['s5', 5], ['s1', 11])], bare));
    assert.equal(await metric('sluice_exporter_prometheus_series'), 3);
    assert.equal(await metric('sluice_exporter_prometheus_points_dropped_total'), 3);
    const text = (await scrape()).text;
    assert.match(text, /^temp\{[^}]*series="s0"\} 10$/m);
    assert.match(text, /^temp\{[^}]*series="s1"\} 11$/m);
    assert.match(text, /^temp\{[^}]*series="s2"\} 2$/m);
    assert.doesNotMatch(text, /series="s[345]"/);
    assert.equal(warnings().length, 1, 'once, not per dropped point or batch');
    assert.deepEqual([warnings()[0]!.max_series, warnings()[0]!.series], [3, 3]);

    // s2 is not updated again, so it expires while s0 and s1 are kept fresh.
    await clock.advance(45_000);
    await push(request([gaugeOf('temp', ['s0', 20], ['s1', 21])], bare));
    await clock.advance(30_000);
    assert.equal(await metric('sluice_exporter_prometheus_series'), 2);
    assert.equal(infos().length, 1);
    assert.equal(infos()[0]!.series, 2);

    await push(request([gaugeOf('temp', ['s3', 3])], bare));
    assert.match((await scrape()).text, /^temp\{[^}]*series="s3"\} 3$/m, 'room again for a new series');
    await push(request([gaugeOf('temp', ['s4', 4])], bare));
    assert.equal(await metric('sluice_exporter_prometheus_points_dropped_total'), 4);
    assert.equal(warnings().length, 2, 'reaching the cap again warns again');
  } finally {
    await stop();
  }
});

test('max_series: a quarter of the V8 heap at 2 KiB a series when absent; at least 1 when set', () => {
  assert.equal(defaultMaxSeries(4 * 2 ** 30), 524_288);
  assert.equal(defaultMaxSeries(512 * 2 ** 20), 65_536);
  const ctx: ValidationContext = { issues: [] };
  prometheusExporterFactory.schema.parse({ max_series: 0 }, ctx);
  assert.deepEqual(ctx.issues.map((i) => i.path), ['max_series']);
});

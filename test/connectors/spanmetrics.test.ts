// spanmetrics: calls and duration per dimension set on virtual time (cumulative and delta,
// defaults, extra dimensions, exclusions, exemplars, expiration, exponential buckets), and
// pipelines/red-metrics.yaml end to end: OpenTelemetry SDK spans → sluice → a real Prometheus,
// whose rate() and histogram_quantile() must equal what the test computes from the spans it sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SpanKind } from '@opentelemetry/api';
import { spanMetricsConnectorFactory } from '../../src/connectors/spanmetrics/factory.js';
import { type SpanMetricsConfig } from '../../src/connectors/spanmetrics/config.js';
import type { Connector, Consumer } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { KeyValue, MetricsData, Span, TracesData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { receiverPorts, startServiceFromFiles } from '../helpers/service.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { freePort } from '../helpers/ports.js';
import { eventually, prometheusRate, promQuery, startPrometheus, type Backend, type RangeSample } from '../helpers/servers.js';
import type { Service } from '../../src/service/service.js';

const s = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const num = (v: Long | number | undefined) => (v === undefined ? undefined : Number(v.toString()));

function setup(raw: Record<string, unknown>) {
  const scheduler = new VirtualTimeScheduler();
  const ctx = { issues: [] as unknown[] };
  const config = spanMetricsConnectorFactory.schema.parse(raw, ctx as never) as SpanMetricsConfig;
  assert.deepEqual(ctx.issues, []);
  const out: MetricsData[] = [];
  const next: Consumer = { mutates: false, consume: (e: Envelope) => (out.push(e.data as MetricsData), e.ack()) };
  const telemetry = new Telemetry();
  const c: Connector = spanMetricsConnectorFactory.create({ id: 'spanmetrics', kind: 'connector', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined }, config, 'traces', 'metrics', { all: next, pipelines: new Map() });
  const tick = (ms: number) => {
    scheduler.maxFrames = scheduler.frame + ms;
    scheduler.flush();
  };
  let acked = 0;
  const send = (spans: Span[], resource = [s('service.name', 'cart')]) =>
    c.consume(createEnvelope('traces', { resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ spans }] }] } as TracesData, receiverContext('otlp'), { ack: () => acked++, nack: () => assert.fail() }));
  return { c, out, tick, send, scheduler, telemetry, acked: () => acked };
}

const span = (name: string, ms: number, extra: Partial<Span> = {}): Span => ({
  traceId: hex('0af7651916cd43dd8448eb211c80319c'),
  spanId: hex('b7ad6b7169203331'),
  name,
  kind: 2,
  startTimeUnixNano: Long.fromNumber(1_000_000_000),
  endTimeUnixNano: Long.fromNumber(1_000_000_000 + ms * 1_000_000),
  attributes: [],
  events: [],
  links: [],
  ...extra,
});

const metricsOf = (m: MetricsData) => Object.fromEntries(m.resourceMetrics[0]!.scopeMetrics[0]!.metrics.map((x) => [x.name!, x]));
const labels = (attrs: KeyValue[]) => Object.fromEntries(attrs.map((a) => [a.key, a.value!.stringValue]));

test('calls and duration with the Collector\'s names and default dimensions; cumulative across flushes; spans acked at once', async () => {
  const { c, out, tick, send, acked, telemetry } = setup({ metrics_flush_interval: '10s', histogram: { explicit: { buckets: ['10ms', '100ms'] } } });
  await c.start();
  send([span('GET /a', 5), span('GET /a', 50), span('GET /a', 500, { status: { code: 2 } })]);
  assert.equal(acked(), 1);
  tick(10_000);
  const m = metricsOf(out[0]!);
  const calls = m['traces.span.metrics.calls']!.sum!;
  assert.equal(calls.aggregationTemporality, 2);
  assert.deepEqual(calls.dataPoints.map((p) => [labels(p.attributes), num(p.asInt)]), [
    [{ 'service.name': 'cart', 'span.name': 'GET /a', 'span.kind': 'SPAN_KIND_SERVER', 'status.code': 'STATUS_CODE_UNSET' }, 2],
    [{ 'service.name': 'cart', 'span.name': 'GET /a', 'span.kind': 'SPAN_KIND_SERVER', 'status.code': 'STATUS_CODE_ERROR' }, 1],
  ]);
  const duration = m['traces.span.metrics.duration']!;
  assert.equal(duration.unit, 'ms');
  const ok = duration.histogram!.dataPoints[0]!;
  assert.deepEqual(ok.explicitBounds, [10, 100]);
  assert.deepEqual(ok.bucketCounts.map(num), [1, 1, 0]);
  assert.deepEqual([num(ok.count), ok.sum, ok.min, ok.max], [2, 55, 5, 50]);
  assert.match(await telemetry.render(), /sluice_spanmetrics_series_tracked\{connector="spanmetrics"\} 2/);
  send([span('GET /a', 7)]);
  tick(10_000);
  const unset = metricsOf(out[1]!)['traces.span.metrics.calls']!.sum!.dataPoints.find((p) => labels(p.attributes)['status.code'] === 'STATUS_CODE_UNSET')!;
  assert.equal(num(unset.asInt), 3, 'cumulative: totals keep growing');
  assert.equal(num(unset.startTimeUnixNano), num(calls.dataPoints[0]!.startTimeUnixNano), 'from the same start');
  await c.shutdown(0);
});

test('delta temporality, extra dimensions with defaults, excluded dimensions, seconds, exemplars, expiration', async () => {
  const { c, out, tick, send } = setup({
    metrics_flush_interval: '10s',
    aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA',
    dimensions: [{ name: 'http.route', default: 'none' }, { name: 'region' }],
    exclude_dimensions: ['status.code'],
    histogram: { unit: 's' },
    exemplars: { enabled: true, max_per_data_point: 1 },
    metrics_expiration: '15s',
  });
  await c.start();
  send([span('GET /a', 250, { attributes: [s('http.route', '/a')] }), span('GET /a', 250, { attributes: [s('http.route', '/a')] }), span('job', 1000)], [s('service.name', 'cart'), s('region', 'eu')]);
  tick(10_000);
  const first = metricsOf(out[0]!);
  assert.deepEqual(first['traces.span.metrics.calls']!.sum!.dataPoints.map((p) => [labels(p.attributes), num(p.asInt)]), [
    [{ 'service.name': 'cart', 'span.name': 'GET /a', 'span.kind': 'SPAN_KIND_SERVER', 'http.route': '/a', region: 'eu' }, 2],
    [{ 'service.name': 'cart', 'span.name': 'job', 'span.kind': 'SPAN_KIND_SERVER', 'http.route': 'none', region: 'eu' }, 1],
  ]);
  const h = first['traces.span.metrics.duration']!;
  assert.equal(h.unit, 's');
  assert.equal(h.histogram!.dataPoints[0]!.sum, 0.5);
  assert.equal(h.histogram!.dataPoints[0]!.exemplars.length, 1);
  assert.equal(Buffer.from(h.histogram!.dataPoints[0]!.exemplars[0]!.traceId!).toString('hex'), '0af7651916cd43dd8448eb211c80319c');
  send([span('GET /a', 100, { attributes: [s('http.route', '/a')] })], [s('service.name', 'cart'), s('region', 'eu')]);
  tick(10_000);
  assert.deepEqual(metricsOf(out[1]!)['traces.span.metrics.calls']!.sum!.dataPoints.map((p) => num(p.asInt)), [1], 'delta: only this interval; idle series are not sent');
  tick(20_000);
  assert.equal(out.length, 2, 'expired series are not sent again');
  await c.shutdown(0);
});

test('exponential histograms stay within max_size buckets', async () => {
  const { c, out, tick, send } = setup({ metrics_flush_interval: '1s', histogram: { exponential: { max_size: 8 } } });
  await c.start();
  send([1, 2, 4, 8, 16, 1000, 0.001].map((ms, i) => span(`op`, ms, { spanId: hex(`000000000000000${i}`) })));
  tick(1000);
  const p = metricsOf(out[0]!)['traces.span.metrics.duration']!.exponentialHistogram!.dataPoints[0]!;
  assert.ok(p.positive!.bucketCounts.length <= 8, `${p.positive!.bucketCounts.length} buckets`);
  assert.equal(p.positive!.bucketCounts.reduce((n: number, c) => n + num(c)!, 0), 7);
  assert.equal(num(p.count), 7);
  assert.ok(p.scale! < 20, 'downscaled to fit');
  await c.shutdown(0);
});

/** Prometheus's histogram_quantile over cumulative bucket counts: linear within the bucket. */
function quantile(q: number, durations: number[], bounds: number[]): number {
  const rank = q * durations.length;
  let below = 0;
  let lower = 0;
  for (const upper of bounds) {
    const inBucket = durations.filter((d) => d > lower && d <= upper).length;
    if (below + inBucket >= rank) return lower + ((upper - lower) * (rank - below)) / inBucket;
    below += inBucket;
    lower = upper;
  }
  return bounds[bounds.length - 1]!;
}

test('pipelines/red-metrics.yaml: SDK spans → spanmetrics → Prometheus; rate() and histogram_quantile() match the spans sent', async () => {
  const promExporterPort = await freePort();
  let tempo: Sink | undefined;
  let service: Service | undefined;
  let prometheus: Backend | undefined;
  let provider: BasicTracerProvider | undefined;
  try {
    tempo = await startSink();
    service = await startServiceFromFiles(
      [fileURLToPath(new URL('../../pipelines/red-metrics.yaml', import.meta.url))],
      [
        'receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0',
        'receivers.otlp.protocols.http.endpoint=127.0.0.1:0',
        'service.telemetry.metrics.level=none',
        'processors.batch.timeout=10ms',
        'connectors.spanmetrics.metrics_flush_interval=1s',
        `exporters.otlp/tempo.endpoint=127.0.0.1:${tempo.grpcPort}`,
        `exporters.prometheus.endpoint=127.0.0.1:${promExporterPort}`,
        // Samples stamped with the flush times, so rate() can be recomputed from the raw samples.
        'exporters.prometheus.send_timestamps=true',
      ],
    );
    prometheus = await startPrometheus(`127.0.0.1:${promExporterPort}`);
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'cart' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${receiverPorts(service).grpc}` }))],
    });
    const tracer = provider.getTracer('red-test');
    const durations = [3, 7, 12, 20, 30, 40, 60, 80, 120, 300];
    const sendSpans = (list: number[]) => {
      for (const ms of list) {
        const start = Date.now() - 1000;
        tracer.startSpan('GET /items', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.route': '/items' } }).end(start + ms);
      }
      return provider!.forceFlush();
    };
    await sendSpans(durations);
    const selector = 'traces_span_metrics_calls_total{job="cart",span_name="GET /items",span_kind="SPAN_KIND_SERVER",status_code="STATUS_CODE_UNSET",http_route="/items"}';
    await eventually(prometheus.port, selector, (r) => r.length === 1 && r[0]!.value[1] === '10');

    const bounds = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
    const q = await eventually(prometheus.port, 'histogram_quantile(0.5, traces_span_metrics_duration_milliseconds_bucket{span_name="GET /items"})', (r) => r.length === 1);
    assert.equal(Number(q[0]!.value[1]), quantile(0.5, durations, bounds));
    assert.equal(quantile(0.5, durations, bounds), 37.5, 'rank 5 of 10 falls in (25, 50], cumulative 4 → 6');
    const p90 = await promQuery(prometheus.port, 'histogram_quantile(0.9, traces_span_metrics_duration_milliseconds_bucket{span_name="GET /items"})');
    assert.equal(Number(p90[0]!.value[1]), quantile(0.9, durations, bounds));

    await sendSpans(Array.from({ length: 30 }, (_, i) => 10 + i));
    await eventually(prometheus.port, selector, (r) => r[0]?.value[1] === '40');
    const raw = await eventually(prometheus.port, `${selector}[1m]`, (r) => (r[0] as unknown as RangeSample | undefined)?.values.some(([, v]) => v === '40') ?? false);
    const samples = (raw[0] as unknown as RangeSample).values.map(([ts, v]) => [Math.round(Number(ts) * 1000), Number(v)] as [number, number]);
    assert.equal(samples[samples.length - 1]![1] - samples[0]![1], 30, 'the increase over the window is the 30 spans sent');
    const evalMs = samples[samples.length - 1]![0] + 1000;
    const rate = await promQuery(prometheus.port, `rate(${selector}[1m])`, evalMs / 1000);
    assert.equal(Number(rate[0]!.value[1]), prometheusRate(samples, evalMs, 60_000));
    assert.ok(tempo.items.traces >= 40, 'the spans themselves went on to Tempo');
  } finally {
    await provider?.shutdown().catch(() => {});
    prometheus?.stop();
    await service?.shutdown();
    await tempo?.close();
  }
});

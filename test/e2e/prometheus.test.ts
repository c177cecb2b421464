// A real Prometheus server scrapes sluice's prometheus exporter while the OpenTelemetry JS SDK
// pushes OTLP metrics into sluice; values, names and labels are read back through Prometheus's
// query API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { receiverPorts, startService } from '../helpers/service.js';
import { freePort } from '../helpers/ports.js';
import { eventually, prometheusRate, promQuery, startPrometheus, type Backend, type RangeSample } from '../helpers/servers.js';
import type { Service } from '../../src/service/service.js';

test('Prometheus scrapes what the OpenTelemetry SDK pushed: exact values, names, labels, rate() and histogram_quantile()', async () => {
  const exporterPort = await freePort();
  let service: Service | undefined;
  let prometheus: Backend | undefined;
  let meterProvider: MeterProvider | undefined;
  try {
    service = await startService(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
exporters:
  prometheus:
    endpoint: "127.0.0.1:${exporterPort}"
    send_timestamps: true
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheus] }
`);
    prometheus = await startPrometheus(`127.0.0.1:${exporterPort}`);
    const promPort = prometheus.port;

    meterProvider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'cart', 'service.namespace': 'shop', 'service.instance.id': 'pod-1', 'host.name': 'node-7' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `http://127.0.0.1:${receiverPorts(service).grpc}`, temporalityPreference: AggregationTemporality.CUMULATIVE }),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
    const meter = meterProvider.getMeter('shop-meter', '2.0.0');
    const requests = meter.createCounter('http.requests', { unit: '{request}' });
    const latency = meter.createHistogram('http.latency', { unit: 'ms' });
    requests.add(10, { route: '/a' });
    for (const v of [5, 15, 25, 35]) latency.record(v, { route: '/a' });
    await meterProvider.forceFlush();

    const selector = 'http_requests_total{route="/a",job="shop/cart",instance="pod-1"}';
    const first = await eventually(promPort, selector, (r) => r.length === 1 && r[0]!.value[1] === '10');
    assert.equal(first[0]!.metric.otel_scope_name, 'shop-meter');
    assert.equal(first[0]!.metric.otel_scope_version, '2.0.0');
    const info = await eventually(promPort, 'target_info{job="shop/cart"}', (r) => r.length === 1);
    assert.equal(info[0]!.metric.host_name, 'node-7');

    // Median of 5, 15, 25, 35 over the SDK's default buckets: rank 2 falls in (10, 25] holding
    // cumulative 1 → 3, so Prometheus interpolates 10 + 15 × (2 − 1) / (3 − 1) = 17.5.
    const q = await eventually(promPort, 'histogram_quantile(0.5, http_latency_milliseconds_bucket{route="/a"})', (r) => r.length === 1);
    assert.equal(q[0]!.value[1], '17.5');
    const count = await promQuery(promPort, 'http_latency_milliseconds_count{route="/a"}');
    assert.equal(count[0]!.value[1], '4');

    // A second push: the counter moves to 70, so over the window Prometheus sees a rising counter.
    requests.add(60, { route: '/a' });
    await meterProvider.forceFlush();
    await eventually(promPort, selector, (r) => r[0]?.value[1] === '70');
    const increase = await eventually(promPort, `max_over_time(${selector}[1m]) - min_over_time(${selector}[1m])`, (r) => r.length === 1);
    assert.equal(increase[0]!.value[1], '60');
    // With send_timestamps the samples carry the SDK's collection times, so the raw samples in the
    // window are known exactly and rate() can be checked against Prometheus's own extrapolation.
    const raw = await eventually(promPort, `${selector}[1m]`, (r) => (r[0] as unknown as RangeSample | undefined)?.values.length === 2);
    const samples = (raw[0] as unknown as RangeSample).values.map(([ts, v]) => [Math.round(Number(ts) * 1000), Number(v)] as [number, number]);
    const evalMs = samples[1]![0] + 5000;
    const rate = await promQuery(promPort, `rate(${selector}[1m])`, evalMs / 1000);
    assert.equal(Number(rate[0]!.value[1]), prometheusRate(samples, evalMs, 60_000));
  } finally {
    await meterProvider?.shutdown().catch(() => {});
    prometheus?.stop();
    await service?.shutdown();
  }
});

// OTLP metrics from the OpenTelemetry JS SDK → sluice → prometheusremotewrite → real Prometheus
// and VictoriaMetrics; values, names and labels read back through both query APIs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { receiverPorts, startService } from '../helpers/service.js';
import { eventually, startPrometheus, startVictoriaMetrics, type Backend } from '../helpers/servers.js';
import type { Service } from '../../src/service/service.js';

test('remote write reaches Prometheus and VictoriaMetrics with the same names, labels and values', async () => {
  let prometheus: Backend | undefined;
  let victoria: Backend | undefined;
  let service: Service | undefined;
  let meterProvider: MeterProvider | undefined;
  try {
    prometheus = await startPrometheus();
    victoria = await startVictoriaMetrics();
    // Both backends must be up before the first write, or its retry would stretch the test.
    await eventually(prometheus.port, 'vector(1)', (r) => r.length === 1);
    await eventually(victoria.port, 'vector(1)', (r) => r.length === 1);
    service = await startService(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
exporters:
  prometheusremotewrite/prom:
    endpoint: "http://127.0.0.1:${prometheus.port}/api/v1/write"
    external_labels: { cluster: eu }
    retry_on_failure: { initial_interval: 100ms }
  prometheusremotewrite/vm:
    endpoint: "http://127.0.0.1:${victoria.port}/api/v1/write"
    external_labels: { cluster: eu }
    retry_on_failure: { initial_interval: 100ms }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheusremotewrite/prom, prometheusremotewrite/vm] }
`);
    meterProvider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'cart', 'service.namespace': 'shop', 'service.instance.id': 'pod-1' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `http://127.0.0.1:${receiverPorts(service).grpc}`, temporalityPreference: AggregationTemporality.CUMULATIVE }),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
    const meter = meterProvider.getMeter('shop-meter', '2.0.0');
    meter.createCounter('orders.placed').add(42, { region: 'eu-west' });
    const latency = meter.createHistogram('checkout.latency', { unit: 'ms' });
    for (const v of [5, 15, 25, 35]) latency.record(v);
    meter.createObservableGauge('cart.size', { unit: '{item}' }).addCallback((r) => r.observe(3.5));
    await meterProvider.forceFlush();

    for (const backend of [prometheus, victoria]) {
      const orders = await eventually(backend.port, 'orders_placed_total', (r) => r.length === 1);
      assert.equal(orders[0]!.value[1], '42');
      assert.deepEqual(
        { ...orders[0]!.metric },
        { __name__: 'orders_placed_total', cluster: 'eu', instance: 'pod-1', job: 'shop/cart', otel_scope_name: 'shop-meter', otel_scope_version: '2.0.0', region: 'eu-west' },
      );
      const gauge = await eventually(backend.port, 'cart_size', (r) => r.length === 1);
      assert.equal(gauge[0]!.value[1], '3.5');
      const median = await eventually(backend.port, 'histogram_quantile(0.5, checkout_latency_milliseconds_bucket)', (r) => r.length === 1);
      assert.equal(median[0]!.value[1], '17.5');
    }
  } finally {
    await meterProvider?.shutdown().catch(() => {});
    await service?.shutdown();
    prometheus?.stop();
    victoria?.stop();
  }
});

// A real Prometheus server scrapes sluice's prometheus exporter while the OpenTelemetry JS SDK
// pushes OTLP metrics into sluice; values, names and labels are read back through Prometheus's
// query API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { receiverPorts, startService } from '../helpers/service.js';
import { freePort } from '../helpers/ports.js';
import type { Service } from '../../src/service/service.js';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promPort: number, expr: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** Polls a query until `accept` says its result is the one we wait for (bounded). */
async function eventually(promPort: number, expr: string, accept: (r: Sample[]) => boolean, limitMs = 30_000): Promise<Sample[]> {
  const limit = Date.now() + limitMs;
  let last: Sample[] = [];
  for (;;) {
    try {
      last = await query(promPort, expr);
      if (accept(last)) return last;
    } catch (err) {
      if (Date.now() > limit) throw err;
    }
    if (Date.now() > limit) throw new Error(`${expr}: still ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('Prometheus scrapes what the OpenTelemetry SDK pushed: exact values, names, labels, rate() and histogram_quantile()', async () => {
  const exporterPort = await freePort();
  const promPort = await freePort();
  let service: Service | undefined;
  let prometheus: ChildProcess | undefined;
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
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheus] }
`);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-prom-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: sluice
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:${exporterPort}"]
`,
    );
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: 'ignore',
    });

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
    const count = await query(promPort, 'http_latency_milliseconds_count{route="/a"}');
    assert.equal(count[0]!.value[1], '4');

    // A second push: the counter moves to 70, so over the window Prometheus sees a rising counter.
    requests.add(60, { route: '/a' });
    await meterProvider.forceFlush();
    await eventually(promPort, selector, (r) => r[0]?.value[1] === '70');
    const increase = await eventually(promPort, `max_over_time(${selector}[1m]) - min_over_time(${selector}[1m])`, (r) => r.length === 1);
    assert.equal(increase[0]!.value[1], '60');
    const rate = await eventually(promPort, `rate(${selector}[1m])`, (r) => r.length === 1 && Number(r[0]!.value[1]) > 0);
    assert.ok(Number(rate[0]!.value[1]) > 0);
  } finally {
    await meterProvider?.shutdown().catch(() => {});
    prometheus?.kill('SIGKILL');
    await service?.shutdown();
  }
});

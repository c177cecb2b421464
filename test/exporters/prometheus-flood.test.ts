// A flood of distinct series through the prometheus exporter: with max_series set, what it holds
// stays at the cap and the heap stops growing once the cap is reached. Heap figures are compared
// with the cost of filling the cap in the same run, never with fixed byte counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { prometheusExporterFactory, type PrometheusExporter } from '../../src/exporters/prometheus/factory.js';
import { createEnvelope, receiverContext } from '../../src/pipeline/envelope.js';
import type { KeyValue, MetricsData, NumberDataPoint } from '../../src/pdata/types.js';
import { startExporter } from '../helpers/exporter-harness.js';
import { measuredMemory as memory, MiB } from '../helpers/memory.js';

const CAP = 10_000;
const TOTAL = 200_000;
const BATCH = 2_000;
const T = Long.fromString('1700000000000000000', true);
const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

const METHOD = kv('http.request.method', 'GET');
const STATUS = kv('http.response.status_code', '200');

/** Points `from`..`from + BATCH - 1`, each a series of its own, with attributes shaped like an HTTP server's. */
function batch(from: number): MetricsData {
  const dataPoints: NumberDataPoint[] = [];
  for (let n = from; n < from + BATCH; n++) {
    dataPoints.push({ attributes: [kv('http.route', `/api/v1/items/${n}`), METHOD, STATUS], timeUnixNano: T, asDouble: n, exemplars: [] });
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', 'cart'), kv('service.namespace', 'shop'), kv('service.instance.id', 'pod-1'), kv('host.name', 'node-7')] },
        scopeMetrics: [{ scope: { name: 'meter', version: '1.0', attributes: [] }, metrics: [{ name: 'http.server.active_requests', unit: '{request}', gauge: { dataPoints } }] }],
      },
    ],
  };
}

test(`${TOTAL} distinct series with max_series ${CAP}: held at the cap, the rest counted, the heap bounded`, async (t) => {
  const { exporter, clock, logs, counter: metric } = await startExporter(prometheusExporterFactory, 'prometheus/flood', 'metrics', { endpoint: '127.0.0.1:0', max_series: CAP });
  const e = exporter as PrometheusExporter;
  const push = (data: MetricsData) =>
    new Promise<void>((resolve, reject) => e.consume(createEnvelope('metrics', data, receiverContext('otlp'), { ack: resolve, nack: reject })));
  try {
    const started = Date.now();
    const baseline = memory();
    // target_info takes one place under the cap, so the last point of the filling batches is the first dropped.
    for (let n = 0; n < CAP; n += BATCH) await push(batch(n));
    const atCap = memory();
    for (let n = CAP; n < TOTAL; n += BATCH) await push(batch(n));
    const flooded = memory();
    const elapsed = Date.now() - started;

    assert.equal(await metric('sluice_exporter_prometheus_series'), CAP);
    assert.equal(await metric('sluice_exporter_prometheus_points_dropped_total'), TOTAL - (CAP - 1));
    const text = (await fetch(`http://127.0.0.1:${e.port()}/metrics`).then((r) => r.text())).trimEnd().split('\n');
    assert.equal(text.filter((l) => l.startsWith('http_server_active_requests{')).length, CAP - 1);
    assert.equal(logs.lines.filter((l) => l.level === 'warn').length, 1, 'one warning for the whole flood');

    const fillHeap = atCap.heapUsed - baseline.heapUsed;
    const floodHeap = flooded.heapUsed - atCap.heapUsed;
    const fillRss = atCap.rss - baseline.rss;
    const floodRss = flooded.rss - atCap.rss;
    t.diagnostic(
      `heap: ${MiB(fillHeap)} MiB for the first ${CAP} series (${Math.round(fillHeap / CAP)} B each), ${MiB(floodHeap)} MiB for the next ${TOTAL - CAP} points; ` +
        `rss: ${MiB(fillRss)} MiB, then ${MiB(floodRss)} MiB; ${elapsed} ms`,
    );
    // Without the cap the flood would add about (TOTAL - CAP) / CAP = 19 times what filling took.
    assert.ok(fillHeap > 0, 'filling the cap shows on the heap');
    assert.ok(floodHeap < fillHeap, `the flood grew the heap by ${MiB(floodHeap)} MiB, more than filling the cap (${MiB(fillHeap)} MiB)`);
    // RSS also carries garbage not yet returned to the OS, so only a bound far below 19 times.
    assert.ok(floodRss < 5 * Math.max(fillRss, fillHeap), `the flood grew RSS by ${MiB(floodRss)} MiB`);
  } finally {
    await e.shutdown(clock.now());
  }
});

// prometheusremotewrite: the WriteRequest built from OTLP (names, label order, buckets, target_info,
// external labels, delta handling, splitting), and the HTTP exchange with a loopback receiver:
// retries, refusals, resuming a split batch, encode failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import snappy from 'snappy';
import Long from 'long';
import { decodeWriteRequest, encodeWriteRequest, splitSeries, toRemoteSeries } from '../../src/codec/prometheus-remote-write.js';
import { isStaleNaN } from '../../src/codec/prometheus-model.js';
import { prometheusRemoteWriteExporterFactory } from '../../src/exporters/prometheusremotewrite/factory.js';
import { PermanentError } from '../../src/pipeline/errors.js';
import type { KeyValue, MetricsData } from '../../src/pdata/types.js';
import { settleWithRetries, startExporter, submit, type ExporterHarness } from '../helpers/exporter-harness.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const at = (ms: number) => Long.fromNumber(ms, true).multiply(1_000_000);

const data: MetricsData = {
  resourceMetrics: [
    {
      resource: { attributes: [kv('service.name', 'cart'), kv('host.name', 'node-7')] },
      scopeMetrics: [
        {
          scope: { name: 'm', attributes: [] },
          metrics: [
            {
              name: 'http.requests',
              sum: {
                isMonotonic: true,
                aggregationTemporality: 2,
                dataPoints: [
                  { attributes: [kv('Route', '/b')], timeUnixNano: at(2000), asInt: 5, exemplars: [] },
                  { attributes: [kv('Route', '/b')], timeUnixNano: at(1000), asInt: 3, exemplars: [] },
                ],
              },
            },
            { name: 'latency', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: [{ attributes: [], timeUnixNano: at(1000), count: 3, sum: 0.7, bucketCounts: [1, 2], explicitBounds: [0.25], exemplars: [] }] } },
            { name: 'jobs', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [{ attributes: [], timeUnixNano: at(1000), asInt: 1, exemplars: [] }] } },
          ],
        },
      ],
    },
  ],
};

const options = { addSuffixes: true, constLabels: {}, externalLabels: { cluster: 'eu' }, resourceToTelemetry: false, targetInfo: true };

test('series: __name__ first, labels sorted, samples in time order, buckets, target_info, external labels; deltas dropped', () => {
  const { series, droppedDeltaPoints } = toRemoteSeries(data, options);
  assert.equal(droppedDeltaPoints, 1);
  const byName = new Map(series.map((s) => [s.labels.map(([k, v]) => `${k}=${v}`).join(','), s.samples.map((x) => [x.timestampMs, x.value])]));
  assert.deepEqual([...byName], [
    ['__name__=http_requests_total,Route=/b,cluster=eu,job=cart,otel_scope_name=m', [[1000, 3], [2000, 5]]],
    ['__name__=latency_seconds_bucket,cluster=eu,job=cart,le=0.25,otel_scope_name=m', [[1000, 1]]],
    ['__name__=latency_seconds_bucket,cluster=eu,job=cart,le=+Inf,otel_scope_name=m', [[1000, 3]]],
    ['__name__=latency_seconds_sum,cluster=eu,job=cart,otel_scope_name=m', [[1000, 0.7]]],
    ['__name__=latency_seconds_count,cluster=eu,job=cart,otel_scope_name=m', [[1000, 3]]],
    ['__name__=target_info,cluster=eu,host_name=node-7,job=cart', [[2000, 1]]],
  ]);
});

test('a point flagged "no recorded value" becomes the staleness marker, bit for bit through the encoding', () => {
  const ended: MetricsData = {
    resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: [{ name: 'temp', gauge: { dataPoints: [{ attributes: [], timeUnixNano: Long.fromNumber(5_000_000_000), flags: 1, exemplars: [] }] } }] }] }],
  };
  const { series } = toRemoteSeries(ended, options);
  assert.ok(isStaleNaN(series[0]!.samples[0]!.value));
  const decoded = decodeWriteRequest(encodeWriteRequest(series));
  assert.ok(isStaleNaN(decoded.timeseries[0]!.samples[0]!.value));
});

test('requests split at max_batch_size_bytes without splitting a series', () => {
  const { series } = toRemoteSeries(data, options);
  const groups = splitSeries(series, 200);
  assert.ok(groups.length > 1);
  assert.deepEqual(groups.flat(), series);
});

interface Write {
  headers: IncomingHttpHeaders;
  series: string[];
}

/** A remote-write receiver answering each request with the next status (204 once they run out). */
async function startReceiver(statuses: number[]): Promise<RecordingServer<Write>> {
  return startRecordingServer(
    (req, body) => {
      const decoded = decodeWriteRequest(snappy.uncompressSync(body) as Buffer);
      return { headers: req.headers, series: decoded.timeseries.map((t) => t.labels.map((l) => `${l.name}=${l.value}`).join(',')) };
    },
    () => {
      const status = statuses.shift() ?? 204;
      return { status, body: status === 400 ? 'out of order sample' : '' };
    },
  );
}

async function withExporter(statuses: number[], config: Record<string, unknown>, run: (h: ExporterHarness, receiver: RecordingServer<Write>) => Promise<void>): Promise<void> {
  const receiver = await startReceiver(statuses);
  const h = await startExporter(prometheusRemoteWriteExporterFactory, 'prometheusremotewrite', 'metrics', {
    endpoint: `${receiver.url}/api/v1/write`,
    remote_write_queue: { enabled: false },
    retry_on_failure: { initial_interval: '1s', randomization_factor: 0 },
    ...config,
  });
  try {
    await run(h, receiver);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await receiver.close();
  }
}

test('over HTTP: snappy protobuf with the remote-write headers; every 5xx retried as the spec requires, 4xx permanent and counted', async () => {
  await withExporter([500, 204, 400], { headers: { 'X-Scope-OrgID': 'tenant-1' } }, async (h, receiver) => {
    const first = submit(h.exporter, 'metrics', data);
    await settleWithRetries(h, first, 500);
    assert.equal(first.state, 'acked', first.error?.message);
    assert.equal(receiver.requests.length, 2);
    const { headers, series } = receiver.requests[0]!;
    assert.equal(headers['content-encoding'], 'snappy');
    assert.equal(headers['content-type'], 'application/x-protobuf');
    assert.equal(headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(headers['x-scope-orgid'], 'tenant-1');
    assert.ok(series.every((labels) => labels.startsWith('__name__=')), "__name__ is every series' first label");
    const second = submit(h.exporter, 'metrics', data);
    await settleWithRetries(h, second, 500);
    assert.equal(second.state, 'nacked');
    assert.match(second.error!.message, /^HTTP 400: out of order sample/);
    assert.equal(receiver.requests.length, 3, 'a 400 is not retried');
    assert.ok((await h.counter('otelcol_exporter_send_failed_metric_points')) > 0);
  });
});

/** Gauges with a label each, enough for several requests at the smallest max_batch_size_bytes. */
function manySeries(count: number): MetricsData {
  const dataPoints = Array.from({ length: count }, (_, i) => ({ attributes: [kv('pod', `pod-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`)], timeUnixNano: at(1000), asDouble: i, exemplars: [] }));
  return { resourceMetrics: [{ resource: { attributes: [kv('service.name', 'cart')] }, scopeMetrics: [{ metrics: [{ name: 'queue_depth', gauge: { dataPoints } }] }] }] };
}

test('a split batch: a retry resumes at the request that failed, accepted requests are not written twice', async () => {
  await withExporter([204, 503, 204], { max_batch_size_bytes: 1024, target_info: { enabled: false } }, async (h, receiver) => {
    const outcome = submit(h.exporter, 'metrics', manySeries(40));
    await settleWithRetries(h, outcome, 500);
    assert.equal(outcome.state, 'acked', outcome.error?.message);
    const requests = receiver.requests.map((r) => r.series);
    assert.ok(requests.length >= 4, `split into several requests (${requests.length - 1} distinct)`);
    assert.deepEqual(requests[2], requests[1], 'the refused request is the one retried');
    const written = requests.filter((_, i) => i !== 1).flat();
    assert.equal(written.length, 40, 'every series written once');
    assert.equal(new Set(written).size, 40);
    assert.equal(await h.counter('otelcol_exporter_sent_metric_points'), 40);
  });
});

test('a batch that cannot be encoded is refused for good at once, without a request', async () => {
  await withExporter([], {}, async (h, receiver) => {
    const loop: KeyValue['value'] = { kvlistValue: { values: [] } };
    loop.kvlistValue!.values.push({ key: 'self', value: loop });
    const bad: MetricsData = { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{ attributes: [{ key: 'loop', value: loop }], timeUnixNano: at(1000), asDouble: 1, exemplars: [] }] } }] }] }] };
    const outcome = submit(h.exporter, 'metrics', bad);
    await h.clock.advance(60_000);
    assert.equal(outcome.state, 'nacked');
    assert.ok(outcome.error instanceof PermanentError);
    assert.match(outcome.error.message, /^cannot encode metrics: /);
    assert.equal(receiver.requests.length, 0);
    assert.equal(await h.counter('otelcol_exporter_send_failed_metric_points'), 1);
  });
});

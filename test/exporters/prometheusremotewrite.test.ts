// prometheusremotewrite: the WriteRequest built from OTLP (names, label order, buckets, target_info,
// external labels, delta handling, splitting), and the HTTP exchange with a loopback receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import snappy from 'snappy';
import { VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { decodeWriteRequest, encodeWriteRequest, splitSeries, toRemoteSeries } from '../../src/codec/prometheus-remote-write.js';
import { isStaleNaN } from '../../src/codec/prometheus-model.js';
import { prometheusRemoteWriteExporterFactory } from '../../src/exporters/prometheusremotewrite/factory.js';
import { createEnvelope, receiverContext } from '../../src/pipeline/envelope.js';
import type { KeyValue, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { waitUntil } from '../helpers/wait.js';

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

test('over HTTP: snappy protobuf with the remote-write headers; 5xx retried, 4xx permanent and counted', async () => {
  const seen: { headers: IncomingHttpHeaders; names: string[] }[] = [];
  let answers = [503, 204, 400];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const decoded = decodeWriteRequest(snappy.uncompressSync(Buffer.concat(chunks)) as Buffer);
      seen.push({ headers: req.headers, names: decoded.timeseries.map((t) => t.labels[0]!.name) });
      const status = answers.shift() ?? 204;
      res.writeHead(status).end(status === 400 ? 'out of order sample' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const config = prometheusRemoteWriteExporterFactory.schema.parse(
    {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
      headers: { 'X-Scope-OrgID': 'tenant-1' },
      remote_write_queue: { enabled: false },
      retry_on_failure: { initial_interval: '1ms', randomization_factor: 0 },
    },
    { issues: [] },
  )!;
  const exporter = prometheusRemoteWriteExporterFactory.create({ id: 'prometheusremotewrite', kind: 'exporter', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {} }, config, 'metrics');
  await exporter.start();
  const push = () =>
    new Promise<string>((resolve) => {
      exporter.consume(createEnvelope('metrics', data, receiverContext('otlp'), { ack: () => resolve('ack'), nack: (e) => resolve(`nack ${e.message}`) }));
    });
  try {
    let outcome: string | undefined;
    void push().then((o) => (outcome = o));
    // The 503 schedules a retry on the virtual clock: keep advancing it until the retry has gone out.
    await waitUntil(
      () => {
        scheduler.flush();
        return outcome !== undefined;
      },
      10_000,
      () => `${seen.length} requests seen`,
    );
    assert.equal(outcome, 'ack');
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.headers['content-encoding'], 'snappy');
    assert.equal(seen[0]!.headers['content-type'], 'application/x-protobuf');
    assert.equal(seen[0]!.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(seen[0]!.headers['x-scope-orgid'], 'tenant-1');
    assert.ok(seen[1]!.names.every((n) => n === '__name__'), '__name__ is every series\' first label');
    assert.match(await push(), /nack HTTP 400: out of order sample/);
    assert.equal(seen.length, 3, 'a 400 is not retried');
    assert.match(await telemetry.render(), /otelcol_exporter_send_failed_metric_points\{exporter="prometheusremotewrite"\} [1-9]/);
  } finally {
    answers = [];
    await exporter.shutdown(Date.now());
    server.close();
  }
});

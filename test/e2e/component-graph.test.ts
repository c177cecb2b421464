// The component graph and the processor helper, end to end in a real child process: shutdown in
// graph order delivers connectors' last flush, request context survives processors that hold data,
// and a processor that throws fails only the request that made it throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { countDataPoints, countSpans } from '../../src/pdata/count.js';
import type { MetricsData, TracesData } from '../../src/pdata/types.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';
import { post, startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

interface Posted {
  path: string;
  body: Buffer;
}

/** An OTLP/HTTP backend that records what it is sent (the otlphttp exporter gzips by default, as the Collector's). */
const backend = () =>
  startRecordingServer<Posted>((req, body) => ({ path: req.url ?? '', body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body }), () => ({ status: 200 }));

let traceSeq = 0;
/** `n` spans, each of its own trace (so tail sampling decides them independently). */
function spans(n: number, name: string): TracesData {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: n }, () => {
              const traceId = new Uint8Array(16);
              new DataView(traceId.buffer).setUint32(12, ++traceSeq);
              return { name, traceId, spanId: new Uint8Array(8).fill(1), kind: 2, startTimeUnixNano: 1_000_000_000, endTimeUnixNano: 2_000_000_000, attributes: [] };
            }),
          },
        ],
      },
    ],
  } as unknown as TracesData;
}

const sentSpans = (server: RecordingServer<Posted>) => server.requests.filter((r) => r.path === '/v1/traces').reduce((n, r) => n + countSpans(otlpCodecs.traces.decode(r.body)), 0);
const sentPoints = (server: RecordingServer<Posted>) =>
  server.requests.filter((r) => r.path === '/v1/metrics').map((r) => otlpCodecs.metrics.decode(r.body) as MetricsData);

test('SIGTERM: the spanmetrics and count connectors flush their last interval into a metrics pipeline that still exports', async () => {
  const metrics = await backend();
  const { cli, port } = await startGateway((port) => `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${port}" }
connectors:
  spanmetrics:
    metrics_flush_interval: 1h
  count: {}
exporters:
  otlphttp/metrics:
    endpoint: ${metrics.url}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], exporters: [spanmetrics, count] }
    metrics: { receivers: [spanmetrics, count], exporters: [otlphttp/metrics] }
`);
  try {
    assert.equal((await post(port, '/v1/traces', otlpCodecs.traces.encode(spans(6, 'checkout')))).status, 200);
    assert.equal(metrics.requests.length, 0, 'nothing is flushed before the interval ends');
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.output());
    const names = new Map<string, number>();
    for (const data of sentPoints(metrics)) {
      for (const rm of data.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) names.set(m.name ?? '', (names.get(m.name ?? '') ?? 0) + 1);
    }
    assert.ok(names.has('traces.span.metrics.calls'), `spanmetrics' calls reached the backend: ${[...names.keys()].join(', ')}\n${cli.output()}`);
    assert.ok(names.has('trace.span.count'), `count's span count reached the backend: ${[...names.keys()].join(', ')}`);
    assert.doesNotMatch(cli.output(), /lost for this interval|is shutting down/);
  } finally {
    cli.child.kill('SIGKILL');
    await metrics.close();
  }
});

test('tenant routing after tail_sampling, batch and interval is exact: every span and point reaches its tenant\'s backend', async () => {
  const acme = await backend();
  const other = await backend();
  const { cli, port } = await startGateway((port) => `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${port}", include_metadata: true }
processors:
  tail_sampling:
    decision_wait: 200ms
    policies: [{ name: all, type: always_sample }]
  # As in the Collector, a batch keeps only the client metadata its metadata_keys name.
  batch: { timeout: 100ms, metadata_keys: [x-tenant] }
  interval: { interval: 300ms }
connectors:
  routing/traces:
    default_pipelines: [traces/other]
    table:
      - context: request
        condition: request["x-tenant"] == "acme"
        pipelines: [traces/acme]
  routing/metrics:
    default_pipelines: [metrics/other]
    table:
      - context: request
        condition: request["x-tenant"] == "acme"
        pipelines: [metrics/acme]
exporters:
  otlphttp/acme: { endpoint: ${acme.url} }
  otlphttp/other: { endpoint: ${other.url} }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces/in: { receivers: [otlp], processors: [tail_sampling, batch], exporters: [routing/traces] }
    traces/acme: { receivers: [routing/traces], exporters: [otlphttp/acme] }
    traces/other: { receivers: [routing/traces], exporters: [otlphttp/other] }
    metrics/in: { receivers: [otlp], processors: [interval, batch], exporters: [routing/metrics] }
    metrics/acme: { receivers: [routing/metrics], exporters: [otlphttp/acme] }
    metrics/other: { receivers: [routing/metrics], exporters: [otlphttp/other] }
`);
  try {
    const gauge = (tenant: string, i: number): MetricsData =>
      ({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: tenant } }] },
            scopeMetrics: [{ metrics: [{ name: `load_${i}`, gauge: { dataPoints: [{ asDouble: i, timeUnixNano: 1_000_000_000 + i, attributes: [] }] } }] }],
          },
        ],
      }) as unknown as MetricsData;
    for (let i = 0; i < 20; i++) {
      for (const tenant of ['acme', 'globex']) {
        const headers = { 'x-tenant': tenant };
        assert.equal((await post(port, '/v1/traces', otlpCodecs.traces.encode(spans(1, tenant)), headers)).status, 200);
        assert.equal((await post(port, '/v1/metrics', otlpCodecs.metrics.encode(gauge(tenant, i)), headers)).status, 200);
      }
    }
    const points = (server: RecordingServer<Posted>) => sentPoints(server).reduce((n, d) => n + countDataPoints(d), 0);
    await waitUntil(() => sentSpans(acme) + sentSpans(other) === 40 && points(acme) + points(other) === 40, 15_000, () => `spans ${sentSpans(acme)}/${sentSpans(other)}, points ${points(acme)}/${points(other)}\n${cli.output()}`);
    assert.equal(sentSpans(acme), 20);
    assert.equal(sentSpans(other), 20);
    assert.equal(points(acme), 20);
    assert.equal(points(other), 20);
    const services = (server: RecordingServer<Posted>) =>
      new Set(sentPoints(server).flatMap((d) => d.resourceMetrics.map((rm) => rm.resource?.attributes.find((a) => a.key === 'service.name')?.value?.stringValue)));
    assert.deepEqual([...services(acme)], ['acme']);
    assert.deepEqual([...services(other)], ['globex']);
  } finally {
    cli.child.kill('SIGKILL');
    await acme.close();
    await other.close();
  }
});

test('a processor that throws on one client\'s data answers that client with an error; other clients are served and the process stays up', async () => {
  const metrics = await backend();
  const { cli, port } = await startGateway((port) => `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${port}" }
processors:
  deltatocumulative: {}
exporters:
  otlphttp: { endpoint: ${metrics.url} }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], processors: [deltatocumulative], exporters: [otlphttp] }
`);
  try {
    const request = (metric: unknown) => JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] });
    // Two deltas of one exponential histogram whose buckets lie at opposite ends of the int32
    // offset range: adding them up asks for an array longer than JavaScript allows.
    const point = (offset: number, start: number, end: number) => ({ count: '1', scale: 0, positive: { offset, bucketCounts: ['1'] }, startTimeUnixNano: String(start), timeUnixNano: String(end) });
    const hostile = request({ name: 'latency', exponentialHistogram: { aggregationTemporality: 1, dataPoints: [point(-2147483648, 1, 1_000_000_000), point(2147483647, 1_000_000_000, 2_000_000_000)] } });
    const bad = await post(port, '/v1/metrics', hostile);
    assert.equal(bad.status, 400, bad.body);
    assert.match(bad.body, /processor deltatocumulative failed on this request/);
    for (let i = 1; i <= 3; i++) {
      const delta = { name: 'requests', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [{ asInt: '10', startTimeUnixNano: String(i * 1_000_000_000), timeUnixNano: String((i + 1) * 1_000_000_000) }] } };
      const good = await post(port, '/v1/metrics', request(delta));
      assert.equal(good.status, 200, good.body);
    }
    await waitUntil(() => sentPoints(metrics).reduce((n, d) => n + countDataPoints(d), 0) === 3, 10_000, () => cli.output());
    assert.equal(cli.child.exitCode, null, 'the process is still running');
    assert.match(cli.output(), /processor failed; the request was refused and the pipeline keeps serving/);
  } finally {
    cli.child.kill('SIGKILL');
    await metrics.close();
  }
});

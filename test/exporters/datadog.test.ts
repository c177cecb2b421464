// datadog (metrics): v2 payloads read back with the official Datadog API client's MetricPayload
// model; v1 payloads ingested by a real VictoriaMetrics and queried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { asyncScheduler } from 'rxjs';
import Long from 'long';
import { v2 } from '@datadog/datadog-api-client';
import { datadogExporterFactory } from '../../src/exporters/datadog/factory.js';
import { createEnvelope, receiverContext } from '../../src/pipeline/envelope.js';
import type { Exporter } from '../../src/pipeline/component.js';
import type { KeyValue, Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { eventually, startVictoriaMetrics, type Backend } from '../helpers/servers.js';
import { settleWithRetries, startExporter, submit } from '../helpers/exporter-harness.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const START = Long.fromString('1700000000000000000', true);
const nowNs = () => Long.fromNumber(Date.now(), true).multiply(1_000_000);
const resource = [kv('service.name', 'cart'), kv('deployment.environment.name', 'prod'), kv('service.version', '1.2.3'), kv('host.name', 'node-7')];
const request = (metrics: Metric[]): MetricsData => ({ resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ metrics }] }] });
const counter = (value: number): Metric => ({
  name: 'orders.placed',
  sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ attributes: [kv('region', 'eu')], startTimeUnixNano: START, timeUnixNano: nowNs(), asInt: value, exemplars: [] }] },
});
const gauge: Metric = { name: 'cart.size', gauge: { dataPoints: [{ attributes: [], timeUnixNano: nowNs(), asDouble: 3.5, exemplars: [] }] } };

function makeExporter(raw: Record<string, unknown>): Exporter {
  const config = datadogExporterFactory.schema.parse({ api: { key: 'test-api-key' }, sending_queue: { enabled: false }, ...raw }, { issues: [] })!;
  return datadogExporterFactory.create({ id: 'datadog', kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
}

function push(exporter: Exporter, data: MetricsData): Promise<void> {
  return new Promise((resolve, reject) => exporter.consume(createEnvelope('metrics', data, receiverContext('otlp'), { ack: resolve, nack: reject })));
}

test('v2 series: gzip JSON with DD-API-KEY that the official MetricPayload model reads; counts are deltas; unified service tags', async () => {
  const bodies: { headers: IncomingHttpHeaders; path?: string; payload: v2.MetricPayload }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as unknown;
      bodies.push({ headers: req.headers, path: req.url, payload: v2.ObjectSerializer.deserialize(json, 'MetricPayload', '') as v2.MetricPayload });
      res.writeHead(202).end('{"errors":[]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const exporter = makeExporter({ metrics: { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } });
  try {
    await push(exporter, request([counter(10), gauge]));
    await push(exporter, request([counter(25)]));
    assert.equal(bodies.length, 2);
    assert.equal(bodies[0]!.path, '/api/v2/series');
    assert.equal(bodies[0]!.headers['dd-api-key'], 'test-api-key');
    assert.equal(bodies[0]!.headers['content-encoding'], 'gzip');
    const first = bodies[0]!.payload.series;
    assert.equal(first.length, 1, 'the first cumulative value is only a baseline');
    assert.equal(first[0]!.metric, 'cart.size');
    assert.equal(first[0]!.type, 3);
    assert.deepEqual(first[0]!.resources, [Object.assign(new v2.MetricResource(), { name: 'node-7', type: 'host' })]);
    assert.deepEqual(first[0]!.tags, ['service:cart', 'env:prod', 'version:1.2.3']);
    const second = bodies[1]!.payload.series;
    assert.equal(second[0]!.metric, 'orders.placed');
    assert.equal(second[0]!.type, 1);
    assert.equal(second[0]!.points[0]!.value, 15);
    assert.deepEqual(second[0]!.tags, ['service:cart', 'env:prod', 'version:1.2.3', 'region:eu']);
    for (const b of bodies) for (const s of b.payload.series) assert.equal(s.additionalProperties, undefined, `${s.metric}: no field the model does not know`);
  } finally {
    await exporter.shutdown(Date.now());
    server.close();
  }
});

test('v1 series are ingested by a real VictoriaMetrics and queryable with their values and tags', async () => {
  let vm: Backend | undefined;
  let exporter: Exporter | undefined;
  try {
    vm = await startVictoriaMetrics();
    await eventually(vm.port, 'vector(1)', (r) => r.length === 1);
    exporter = makeExporter({ metrics: { endpoint: `http://127.0.0.1:${vm.port}/datadog`, api_version: 'v1' } });
    await push(exporter, request([counter(100), gauge]));
    await push(exporter, request([counter(142)]));
    // VictoriaMetrics may rewrite dots in names; the regex matches either spelling.
    const size = await eventually(vm.port, '{__name__=~"cart.size"}', (r) => r.length === 1);
    assert.equal(size[0]!.value[1], '3.5');
    assert.equal(size[0]!.metric.host, 'node-7');
    assert.equal(size[0]!.metric.service, 'cart');
    assert.equal(size[0]!.metric.env, 'prod');
    const orders = await eventually(vm.port, '{__name__=~"orders.placed"}', (r) => r.length === 1);
    assert.equal(orders[0]!.value[1], '42');
    assert.equal(orders[0]!.metric.region, 'eu');
  } finally {
    await exporter?.shutdown(Date.now());
    vm?.stop();
  }
});

test('a retried batch sends the same counts again: cumulative increases are computed once per batch', async () => {
  const counts: number[][] = [];
  const statuses = [202, 503, 202];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as { series: { metric: string; points: { value: number }[] }[] };
      counts.push(payload.series.filter((s) => s.metric === 'orders.placed').flatMap((s) => s.points.map((p) => p.value)));
      res.writeHead(statuses.shift() ?? 202).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const h = await startExporter(datadogExporterFactory, 'datadog', 'metrics', {
    api: { key: 'k' },
    metrics: { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    sending_queue: { enabled: false },
    retry_on_failure: { initial_interval: '1s', randomization_factor: 0 },
  });
  try {
    for (const value of [5, 12]) {
      const outcome = submit(h.exporter, 'metrics', request([counter(value), gauge]), receiverContext('otlp'));
      await settleWithRetries(h, outcome, 500);
      assert.equal(outcome.state, 'acked');
    }
    // The first sighting is the baseline (gauge only); the increase of 7 is sent, refused with 503, and sent again as 7.
    assert.deepEqual(counts, [[], [7], [7]]);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    server.close();
  }
});

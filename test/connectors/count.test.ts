// count connector: the Collector's default counters, configured counters with attributes (from
// the item, then the resource, then a default), OTTL conditions, the acknowledgement carried by
// the counts, and pipelines/count.yaml end to end into the Prometheus exporter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { asyncScheduler } from 'rxjs';
import { countConnectorFactory } from '../../src/connectors/count/factory.js';
import { type CountConnectorConfig } from '../../src/connectors/count/config.js';
import type { Consumer } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { KeyValue, LogsData, MetricsData, Signal, SignalData, TracesData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { receiverPorts, startServiceFromFiles } from '../helpers/service.js';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { freePort } from '../helpers/ports.js';

const s = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

function connector(raw: Record<string, unknown>, signal: Signal, settle: (e: Envelope) => void = (e) => e.ack()) {
  const ctx = { issues: [] as { message: string }[] };
  const config = countConnectorFactory.schema.parse(raw, ctx as never) as CountConnectorConfig;
  assert.deepEqual(ctx.issues, []);
  const got: MetricsData[] = [];
  const next: Consumer = {
    mutates: false,
    consume: (e) => {
      got.push(e.data as MetricsData);
      settle(e);
    },
  };
  const c = countConnectorFactory.create({ id: 'count', kind: 'connector', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined }, config, signal, 'metrics', { all: next, pipelines: new Map([['metrics', next]]) });
  return { c, got };
}

function send<S extends Signal>(c: Consumer, signal: S, data: SignalData[S]): Promise<string> {
  return new Promise((resolve) => c.consume(createEnvelope(signal, data, receiverContext('otlp'), { ack: () => resolve('ack'), nack: (e) => resolve(`nack: ${e.message}`) })));
}

const points = (m: MetricsData) =>
  m.resourceMetrics.flatMap((rm) =>
    rm.scopeMetrics.flatMap((sm) =>
      sm.metrics.flatMap((metric) => metric.sum!.dataPoints.map((p) => ({ metric: metric.name, temporality: metric.sum!.aggregationTemporality, attrs: Object.fromEntries(p.attributes.map((a) => [a.key, a.value!.stringValue])), n: Number(p.asInt) }))),
    ),
  );

const traces: TracesData = {
  resourceSpans: [
    {
      resource: { attributes: [s('service.name', 'cart'), s('region', 'eu')] },
      scopeSpans: [
        {
          spans: [
            { name: 'a', attributes: [s('http.response.status_code', '200')], events: [{ name: 'e', attributes: [] }], links: [] },
            { name: 'b', attributes: [s('http.response.status_code', '500')], events: [], links: [], status: { code: 2 } },
            { name: 'c', attributes: [s('http.response.status_code', '200')], events: [{ name: 'e', attributes: [] }, { name: 'f', attributes: [] }], links: [] },
            { name: 'd', attributes: [], events: [], links: [] },
          ],
        },
      ],
    },
  ],
};

test('defaults: the Collector\'s trace.span.count and trace.span.event.count, delta sums per resource', async () => {
  const { c, got } = connector({}, 'traces');
  assert.equal(await send(c, 'traces', traces), 'ack');
  assert.deepEqual(points(got[0]!), [
    { metric: 'trace.span.count', temporality: 1, attrs: {}, n: 4 },
    { metric: 'trace.span.event.count', temporality: 1, attrs: {}, n: 3 },
  ]);
  assert.equal(got[0]!.resourceMetrics[0]!.resource!.attributes.length, 2, 'the resource is kept');
});

test('configured counters: attributes from the item, then the resource, then the default; conditions', async () => {
  const { c, got } = connector(
    {
      spans: {
        'spans.by.status': { attributes: [{ key: 'http.response.status_code' }, { key: 'region' }] },
        'spans.errors': { conditions: ['status.code == STATUS_CODE_ERROR'] },
        'spans.any.status': { attributes: [{ key: 'http.response.status_code', default_value: 'none' }] },
      },
    },
    'traces',
  );
  await send(c, 'traces', traces);
  const byMetric = (name: string) => points(got[0]!).filter((p) => p.metric === name).map((p) => [p.attrs, p.n]);
  assert.deepEqual(byMetric('spans.by.status'), [
    [{ 'http.response.status_code': '200', region: 'eu' }, 2],
    [{ 'http.response.status_code': '500', region: 'eu' }, 1],
  ], 'a span without the attribute and no default is not counted');
  assert.deepEqual(byMetric('spans.errors'), [[{}, 1]]);
  assert.deepEqual(byMetric('spans.any.status'), [
    [{ 'http.response.status_code': '200' }, 2],
    [{ 'http.response.status_code': '500' }, 1],
    [{ 'http.response.status_code': 'none' }, 1],
  ]);
  assert.equal(points(got[0]!).some((p) => p.metric === 'trace.span.event.count'), true, 'unconfigured kinds keep their default counter');
});

test('logs and metrics; the input is settled by its counts; nothing counted acks at once; conditions only where supported', async () => {
  const logs: LogsData = { resourceLogs: [{ resource: { attributes: [s('service.name', 'cart')] }, scopeLogs: [{ logRecords: [{ severityNumber: 17, attributes: [] }, { severityNumber: 9, attributes: [] }] }] }] };
  const failing = connector({ logs: { 'log.error.count': { conditions: ['severity_number >= SEVERITY_NUMBER_ERROR'] } } }, 'logs', (e) => e.nack(new Error('metrics backend down')));
  assert.equal(await send(failing.c, 'logs', logs), 'nack: metrics backend down', 'the logs are only as acknowledged as their counts');
  assert.deepEqual(points(failing.got[0]!), [{ metric: 'log.error.count', temporality: 1, attrs: {}, n: 1 }]);
  const none = connector({ logs: { 'log.error.count': { conditions: ['severity_number >= SEVERITY_NUMBER_FATAL'] } } }, 'logs');
  assert.equal(await send(none.c, 'logs', logs), 'ack');
  assert.equal(none.got.length, 0);

  const metrics: MetricsData = { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ attributes: [], exemplars: [] }, { attributes: [], exemplars: [] }] } }] }] }] };
  const m = connector({}, 'metrics');
  await send(m.c, 'metrics', metrics);
  assert.deepEqual(points(m.got[0]!).map((p) => [p.metric, p.n]), [['metric.count', 1], ['metric.datapoint.count', 2]]);

  const ctx = { issues: [] as { message: string }[] };
  countConnectorFactory.schema.parse({ datapoints: { x: { conditions: ['name == "y"'] } } }, ctx as never);
  assert.match(ctx.issues[0]!.message, /conditions on datapoints are not supported/);
});

test('pipelines/count.yaml: counts from OTLP traffic reach the Prometheus exporter', async () => {
  const promPort = await freePort();
  const service = await startServiceFromFiles(
    [fileURLToPath(new URL('../../pipelines/count.yaml', import.meta.url))],
    [
      'receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0',
      'receivers.otlp.protocols.http.endpoint=127.0.0.1:0',
      'service.telemetry.metrics.level=none',
      'processors.batch.timeout=10ms',
      // The example's backend is not there; the counts do not depend on it.
      'exporters.otlp/backend.endpoint=127.0.0.1:9',
      'exporters.otlp/backend.sending_queue.enabled=false',
      'exporters.otlp/backend.retry_on_failure.enabled=false',
      `exporters.prometheus.endpoint=127.0.0.1:${promPort}`,
    ],
  );
  try {
    const { http } = receiverPorts(service);
    await fetch(`http://127.0.0.1:${http}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: otlpCodecs.traces.encode(traces) });
    let text = '';
    // The counts pass the batch processor before the exporter serves them: poll, bounded.
    for (let i = 0; i < 100 && !text.includes('trace_span_count_total{'); i++) {
      text = await (await fetch(`http://127.0.0.1:${promPort}/metrics`)).text();
      if (!text.includes('trace_span_count_total{')) await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(text, /trace_span_count_total\{[^}]*http_response_status_code="200"[^}]*service_name="cart"[^}]*\} 2/);
    assert.match(text, /trace_span_count_total\{[^}]*http_response_status_code="none"[^}]*\} 1/);
  } finally {
    await service.shutdown();
  }
});

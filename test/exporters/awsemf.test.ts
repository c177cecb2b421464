// awsemf: Embedded Metric Format events through the real CloudWatch Logs SDK client to a
// SigV4-verifying loopback endpoint; the missing log group and stream are created first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asyncScheduler } from 'rxjs';
import Long from 'long';
import { awsEmfExporterFactory } from '../../src/exporters/awsemf/factory.js';
import { fillPlaceholders } from '../../src/exporters/awsemf/emf.js';
import { batchEvents } from '../../src/exporters/aws-logs.js';
import { createEnvelope, receiverContext } from '../../src/pipeline/envelope.js';
import type { Exporter } from '../../src/pipeline/component.js';
import type { KeyValue, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { startAwsEndpoint, useTestCredentials } from '../helpers/aws.js';

useTestCredentials();

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const NOW_MS = Date.now();
const T = Long.fromNumber(NOW_MS, true).multiply(1_000_000);

const data: MetricsData = {
  resourceMetrics: [
    {
      resource: { attributes: [kv('service.name', 'cart')] },
      scopeMetrics: [
        {
          scope: { name: 'shop-meter', attributes: [] },
          metrics: [
            { name: 'cart.size', unit: '{item}', gauge: { dataPoints: [{ attributes: [kv('region', 'eu'), kv('tier', 'gold')], timeUnixNano: T, asDouble: 3.5, exemplars: [] }] } },
            { name: 'latency', unit: 'ms', histogram: { aggregationTemporality: 1, dataPoints: [{ attributes: [kv('region', 'eu'), kv('tier', 'gold')], timeUnixNano: T, count: 4, sum: 80, min: 5, max: 35, bucketCounts: [], explicitBounds: [], exemplars: [] }] } },
          ],
        },
      ],
    },
  ],
};

function makeExporter(raw: Record<string, unknown>): Exporter {
  const config = awsEmfExporterFactory.schema.parse({ sending_queue: { enabled: false }, ...raw }, { issues: [] })!;
  return awsEmfExporterFactory.create({ id: 'awsemf', kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
}

function push(exporter: Exporter, d: MetricsData): Promise<string> {
  return new Promise((resolve) => exporter.consume(createEnvelope('metrics', d, receiverContext('otlp'), { ack: () => resolve('ack'), nack: (e) => resolve(`nack ${e.message}`) })));
}

test('EMF events land in a log group and stream created on demand, with the metric directive CloudWatch reads', async () => {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const created = new Set<string>();
  const endpoint = await startAwsEndpoint('logs', 'application/x-amz-json-1.1', (target, body) => {
    const b = body as Record<string, unknown>;
    calls.push({ target, body: b });
    if (target.endsWith('CreateLogGroup')) created.add('group');
    if (target.endsWith('CreateLogStream')) created.add('stream');
    if (target.endsWith('PutLogEvents') && !(created.has('group') && created.has('stream'))) {
      return { status: 400, body: { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' } };
    }
    return { status: 200, body: {} };
  });
  const exporter = makeExporter({ endpoint: endpoint.url, log_group_name: '/metrics/{ServiceName}', log_stream_name: 'otel-stream', namespace: 'Shop' });
  try {
    assert.equal(await push(exporter, data), 'ack');
    assert.equal(endpoint.rejected(), 0, 'every request correctly signed');
    assert.deepEqual(
      calls.map((c) => c.target.split('.')[1]),
      ['PutLogEvents', 'CreateLogGroup', 'CreateLogStream', 'PutLogEvents'],
    );
    const put = calls[3]!.body as { logGroupName: string; logStreamName: string; logEvents: { timestamp: number; message: string }[] };
    assert.equal(put.logGroupName, '/metrics/cart');
    assert.equal(put.logStreamName, 'otel-stream');
    assert.equal(put.logEvents.length, 1, 'both metrics share one event: same time and attributes');
    assert.equal(put.logEvents[0]!.timestamp, NOW_MS);
    assert.deepEqual(JSON.parse(put.logEvents[0]!.message), {
      _aws: {
        Timestamp: NOW_MS,
        CloudWatchMetrics: [
          {
            Namespace: 'Shop',
            Dimensions: [['OTelLib', 'region', 'tier'], ['OTelLib'], ['OTelLib', 'region'], ['OTelLib', 'tier']],
            Metrics: [
              { Name: 'cart.size', Unit: 'Count' },
              { Name: 'latency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      OTelLib: 'shop-meter',
      region: 'eu',
      tier: 'gold',
      'cart.size': 3.5,
      latency: { Count: 4, Sum: 80, Min: 5, Max: 35 },
    });
  } finally {
    await exporter.shutdown(Date.now());
    endpoint.close();
  }
});

test('metric_declarations choose which metrics are extracted, with their own dimension sets', async () => {
  const puts: string[] = [];
  const endpoint = await startAwsEndpoint('logs', 'application/x-amz-json-1.1', (target, body) => {
    if (target.endsWith('PutLogEvents')) puts.push(...(body as { logEvents: { message: string }[] }).logEvents.map((e) => e.message));
    return { status: 200, body: {} };
  });
  const exporter = makeExporter({
    endpoint: endpoint.url,
    log_group_name: 'g',
    log_stream_name: 's',
    namespace: 'Shop',
    metric_declarations: [{ dimensions: [['region'], ['region', 'missing']], metric_name_selectors: ['^latency$'] }],
  });
  try {
    assert.equal(await push(exporter, data), 'ack');
    const directive = (JSON.parse(puts[0]!) as { _aws: { CloudWatchMetrics: unknown[] } })._aws.CloudWatchMetrics;
    assert.deepEqual(directive, [{ Namespace: 'Shop', Dimensions: [['region']], Metrics: [{ Name: 'latency', Unit: 'Milliseconds' }] }]);
  } finally {
    await exporter.shutdown(Date.now());
    endpoint.close();
  }
});

test('PutLogEvents batches: sorted, at most 10,000 events and 1 MiB, never spanning 24 hours; placeholders', () => {
  const events = Array.from({ length: 10_001 }, (_, i) => ({ timestamp: 10_001 - i, message: 'x' }));
  const batches = batchEvents(events);
  assert.deepEqual(batches.map((b) => b.length), [10_000, 1]);
  assert.equal(batches[0]![0]!.timestamp, 1, 'sorted by timestamp');
  const day = 24 * 3600 * 1000;
  assert.equal(batchEvents([{ timestamp: 0, message: 'a' }, { timestamp: day, message: 'b' }]).length, 2);
  const big = 'y'.repeat(600_000);
  assert.equal(batchEvents([{ timestamp: 1, message: big }, { timestamp: 2, message: big }]).length, 2);
  assert.equal(fillPlaceholders('/ecs/{ClusterName}/{ServiceName}/{Unknown}', [kv('service.name', 'cart')]), '/ecs/undefined/cart/{Unknown}');
});

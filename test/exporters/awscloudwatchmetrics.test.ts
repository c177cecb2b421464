// awscloudwatchmetrics: the real AWS SDK client sends PutMetricData to a loopback endpoint that
// checks every request's SigV4 signature with @smithy/signature-v4, answers a bad one with
// CloudWatch's error shape, and throttles once.
import { test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { awsCloudWatchMetricsExporterFactory } from '../../src/exporters/awscloudwatchmetrics/factory.js';
import { cloudWatchUnit } from '../../src/exporters/awscloudwatchmetrics/datums.js';
import { createEnvelope, receiverContext } from '../../src/pipeline/envelope.js';
import type { Exporter } from '../../src/pipeline/component.js';
import type { KeyValue, Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { waitUntil } from '../helpers/wait.js';
import { startAwsEndpoint, TEST_ACCESS_KEY, TEST_SECRET, useTestCredentials } from '../helpers/aws.js';

useTestCredentials();

interface Received {
  target: string;
  body: { Namespace: string; MetricData: Array<Record<string, unknown>> };
}

async function startEndpoint(throttleFirst: boolean) {
  const received: Received[] = [];
  let throttle = throttleFirst;
  const endpoint = await startAwsEndpoint('monitoring', 'application/x-amz-json-1.0', (target, body) => {
    if (throttle) {
      throttle = false;
      return { status: 400, queryError: 'Throttling;Sender', body: { __type: 'com.amazonaws.cloudwatch#ThrottlingException', message: 'Rate exceeded' } };
    }
    received.push({ target, body: body as Received['body'] });
    return { status: 200, body: {} };
  });
  return { ...endpoint, received };
}

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const T = Long.fromNumber(Date.now(), true).multiply(1_000_000);
const START = Long.fromString('1700000000000000000', true);
const request = (metrics: Metric[]): MetricsData => ({ resourceMetrics: [{ resource: { attributes: [kv('service.name', 'cart')] }, scopeMetrics: [{ metrics }] }] });

function makeExporter(endpoint: string, scheduler: VirtualTimeScheduler): Exporter {
  const config = awsCloudWatchMetricsExporterFactory.schema.parse(
    // No request timeout: flushing the virtual clock to fire the retry would fire it too, before the loopback reply arrives.
    { namespace: 'Sluice/Test', endpoint, timeout: 0, sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '1ms', randomization_factor: 0 } },
    { issues: [] },
  )!;
  return awsCloudWatchMetricsExporterFactory.create({ id: 'awscloudwatchmetrics', kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
}

function push(exporter: Exporter, data: MetricsData): Promise<string> {
  return new Promise((resolve) => exporter.consume(createEnvelope('metrics', data, receiverContext('otlp'), { ack: () => resolve('ack'), nack: (e) => resolve(`nack ${e.message}`) })));
}

test('signed PutMetricData with values, statistic sets, units and dimensions; a throttling reply is retried', async () => {
  const endpoint = await startEndpoint(true);
  const scheduler = new VirtualTimeScheduler();
  const exporter = makeExporter(endpoint.url, scheduler);
  try {
    let outcome: string | undefined;
    void push(
      exporter,
      request([
        { name: 'cart.size', unit: '{item}', gauge: { dataPoints: [{ attributes: [kv('region', 'eu')], timeUnixNano: T, asDouble: 3.5, exemplars: [] }] } },
        { name: 'jobs.done', unit: '1', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [{ attributes: [], timeUnixNano: T, asInt: 7, exemplars: [] }] } },
        {
          name: 'latency',
          unit: 'ms',
          histogram: { aggregationTemporality: 1, dataPoints: [{ attributes: [], startTimeUnixNano: START, timeUnixNano: T, count: 4, sum: 80, min: 5, max: 35, bucketCounts: [], explicitBounds: [], exemplars: [] }] },
        },
      ]),
    ).then((o) => (outcome = o));
    await waitUntil(
      () => {
        scheduler.flush();
        return outcome !== undefined;
      },
      15_000,
      () => `${endpoint.received.length} accepted`,
    );
    assert.equal(outcome, 'ack');
    assert.equal(endpoint.rejected(), 0, 'every request was correctly signed');
    assert.equal(endpoint.received.length, 1, 'throttled once, then accepted');
    const { target, body } = endpoint.received[0]!;
    assert.match(target, /PutMetricData$/);
    assert.equal(body.Namespace, 'Sluice/Test');
    const byName = new Map(body.MetricData.map((d) => [d.MetricName as string, d]));
    assert.deepEqual(byName.get('cart.size')!.Dimensions, [
      { Name: 'region', Value: 'eu' },
      { Name: 'service.name', Value: 'cart' },
    ]);
    assert.equal(byName.get('cart.size')!.Value, 3.5);
    assert.equal(byName.get('cart.size')!.Unit, 'Count');
    assert.equal(byName.get('jobs.done')!.Value, 7);
    assert.equal(byName.get('jobs.done')!.Unit, 'None');
    assert.deepEqual(byName.get('latency')!.StatisticValues, { SampleCount: 4, Sum: 80, Minimum: 5, Maximum: 35 });
    assert.equal(byName.get('latency')!.Unit, 'Milliseconds');
  } finally {
    await exporter.shutdown(scheduler.now());
    endpoint.close();
  }
});

test('a request signed with the wrong secret is refused with CloudWatch\'s error, as a permanent failure', async () => {
  const endpoint = await startEndpoint(false);
  process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
  const scheduler = new VirtualTimeScheduler();
  const exporter = makeExporter(endpoint.url, scheduler);
  try {
    const outcome = await push(exporter, request([{ name: 'cart.size', gauge: { dataPoints: [{ attributes: [], timeUnixNano: T, asDouble: 1, exemplars: [] }] } }]));
    assert.match(outcome, /^nack CloudWatch PutMetricData: .*signature/i);
    assert.equal(endpoint.rejected(), 1, 'not retried');
  } finally {
    process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET;
    await exporter.shutdown(scheduler.now());
    endpoint.close();
  }
});

test('UCUM units map to CloudWatch units', () => {
  assert.equal(cloudWatchUnit('s'), 'Seconds');
  assert.equal(cloudWatchUnit('By/s'), 'Bytes/Second');
  assert.equal(cloudWatchUnit('{request}'), 'Count');
  assert.equal(cloudWatchUnit('%'), 'Percent');
  assert.equal(cloudWatchUnit('furlongs'), 'None');
});

test('role_arn: the role is assumed through STS and requests are signed with its temporary credentials', async () => {
  const assumed: string[] = [];
  const sts = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      assumed.push(`${params.get('Action')} ${params.get('RoleArn')} ${params.get('RoleSessionName')} signed-by:${/Credential=([^/]+)/.exec(String(req.headers.authorization))?.[1]}`);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIATEMPSLUICE</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey><SessionToken>session-token-1</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/metrics/sluice</Arn><AssumedRoleId>AROAEXAMPLE:sluice</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((r) => sts.listen(0, '127.0.0.1', r));
  process.env.AWS_ENDPOINT_URL_STS = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
  const tokens: string[] = [];
  const endpoint = await startAwsEndpoint(
    'monitoring',
    'application/x-amz-json-1.0',
    (_target, _body, headers) => {
      tokens.push(String(headers['x-amz-security-token']));
      return { status: 200, body: {} };
    },
    { accessKeyId: 'ASIATEMPSLUICE', secretAccessKey: 'temporary-secret', sessionToken: 'session-token-1' },
  );
  const config = awsCloudWatchMetricsExporterFactory.schema.parse(
    { namespace: 'Sluice/Test', endpoint: endpoint.url, role_arn: 'arn:aws:iam::123456789012:role/metrics', sending_queue: { enabled: false } },
    { issues: [] },
  )!;
  const scheduler = new VirtualTimeScheduler();
  const exporter = awsCloudWatchMetricsExporterFactory.create(
    { id: 'awscloudwatchmetrics', kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler, reportStatus: () => {}, extension: () => undefined },
    config,
    'metrics',
  );
  try {
    const outcome = await push(exporter, request([{ name: 'cart.size', gauge: { dataPoints: [{ attributes: [], timeUnixNano: T, asDouble: 1, exemplars: [] }] } }]));
    assert.equal(outcome, 'ack');
    assert.deepEqual(assumed, [`AssumeRole arn:aws:iam::123456789012:role/metrics sluice signed-by:${TEST_ACCESS_KEY}`]);
    assert.equal(endpoint.rejected(), 0, 'signed with the temporary credentials');
    assert.deepEqual(tokens, ['session-token-1']);
  } finally {
    delete process.env.AWS_ENDPOINT_URL_STS;
    await exporter.shutdown(scheduler.now());
    endpoint.close();
    sts.close();
  }
});

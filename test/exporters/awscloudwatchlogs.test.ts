// awscloudwatchlogs: PutLogEvents against the SigV4-verifying loopback endpoint: the group and
// stream created on demand with retention and tags, messages in JSON and raw form, batches within
// the API limits, truncation, records CloudWatch would refuse, throttling and bad signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { awsCloudWatchLogsExporterFactory } from '../../src/exporters/awscloudwatchlogs/factory.js';
import { TRUNCATED_SUFFIX } from '../../src/exporters/awscloudwatchlogs/events.js';
import { receiverContext } from '../../src/pipeline/envelope.js';
import type { KeyValue, LogRecord, LogsData } from '../../src/pdata/types.js';
import { startAwsEndpoint, useTestCredentials, type AwsReply } from '../helpers/aws.js';
import { settleWithRetries, startExporter, submit, type ExporterHarness } from '../helpers/exporter-harness.js';
import { waitUntil } from '../helpers/wait.js';

useTestCredentials();

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const NOW = Date.now();
const ms = (t: number) => Long.fromNumber(t, true).multiply(1_000_000);
const logs = (records: LogRecord[]): LogsData => ({
  resourceLogs: [{ resource: { attributes: [kv('service.name', 'cart')] }, scopeLogs: [{ scope: { name: 'app', attributes: [] }, logRecords: records }] }],
});
const rec = (t: number, body: string, extra: Partial<LogRecord> = {}): LogRecord => ({ timeUnixNano: ms(t), body: { stringValue: body }, attributes: [], ...extra });

interface Put {
  logGroupName: string;
  logStreamName: string;
  logEvents: { timestamp: number; message: string }[];
}

async function withEndpoint(
  config: Record<string, unknown>,
  run: (h: ExporterHarness, calls: { target: string; body: Record<string, unknown> }[], rejected: () => number) => Promise<void>,
  answer: (target: string, created: Set<string>) => AwsReply | undefined = () => undefined,
) {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const created = new Set<string>(['group', 'stream']);
  const endpoint = await startAwsEndpoint('logs', 'application/x-amz-json-1.1', (target, body) => {
    calls.push({ target: target.split('.')[1]!, body: body as Record<string, unknown> });
    return answer(target, created) ?? { status: 200, body: {} };
  });
  const h = await startExporter(awsCloudWatchLogsExporterFactory, 'awscloudwatchlogs', 'logs', {
    endpoint: endpoint.url,
    log_group_name: '/shop/cart',
    log_stream_name: 'gateway-1',
    sending_queue: { enabled: false },
    ...config,
  });
  try {
    await run(h, calls, endpoint.rejected);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    endpoint.close();
  }
}

async function deliver(h: ExporterHarness, data: LogsData): Promise<void> {
  const outcome = submit(h.exporter, 'logs', data, receiverContext('otlp'));
  await waitUntil(() => outcome.state !== 'pending', 20_000, () => 'the export to settle');
  if (outcome.state === 'nacked') throw outcome.error!;
}

const puts = (calls: { target: string; body: Record<string, unknown> }[]) => calls.filter((c) => c.target === 'PutLogEvents').map((c) => c.body as unknown as Put);

test('JSON events in time order; a missing group and stream are created, the group with retention and tags', async () => {
  await withEndpoint(
    { log_retention: 30, tags: { team: 'checkout' } },
    async (h, calls, rejected) => {
      await deliver(
        h,
        logs([
          rec(NOW - 2000, 'second', {
            severityNumber: 17,
            severityText: 'ERROR',
            flags: 1,
            traceId: Uint8Array.from(Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')),
            spanId: Uint8Array.from(Buffer.from('b7ad6b7169203331', 'hex')),
            attributes: [kv('http.route', '/pay'), { key: 'attempt', value: { intValue: 2 } }],
          }),
          rec(NOW - 3000, 'first'),
        ]),
      );
      assert.equal(rejected(), 0, 'every request correctly signed');
      assert.deepEqual(
        calls.map((c) => c.target),
        ['PutLogEvents', 'CreateLogGroup', 'PutRetentionPolicy', 'CreateLogStream', 'PutLogEvents'],
      );
      assert.deepEqual(calls[1]!.body, { logGroupName: '/shop/cart', tags: { team: 'checkout' } });
      assert.deepEqual(calls[2]!.body, { logGroupName: '/shop/cart', retentionInDays: 30 });
      assert.deepEqual(calls[3]!.body, { logGroupName: '/shop/cart', logStreamName: 'gateway-1' });
      const put = puts(calls)[1]!;
      assert.equal(put.logGroupName, '/shop/cart');
      assert.equal(put.logStreamName, 'gateway-1');
      assert.deepEqual(put.logEvents.map((e) => e.timestamp), [NOW - 3000, NOW - 2000]);
      assert.deepEqual(JSON.parse(put.logEvents[0]!.message), { body: 'first', resource: { 'service.name': 'cart' } });
      assert.deepEqual(JSON.parse(put.logEvents[1]!.message), {
        body: 'second',
        severity_number: 17,
        severity_text: 'ERROR',
        flags: 1,
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        attributes: { 'http.route': '/pay', attempt: 2 },
        resource: { 'service.name': 'cart' },
      });
    },
    (target, created) => {
      if (target.endsWith('CreateLogGroup')) created.add('made-group');
      if (target.endsWith('CreateLogStream')) created.add('made-stream');
      if (target.endsWith('PutLogEvents') && !created.has('made-stream')) return { status: 400, body: { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' } };
      return undefined;
    },
  );
});

test('raw_log sends the body alone; the time falls back to the observed time', async () => {
  await withEndpoint({ raw_log: true }, async (h, calls) => {
    await deliver(h, logs([rec(NOW - 1000, 'GET /cart 200 12ms'), { observedTimeUnixNano: ms(NOW - 500), body: { stringValue: 'observed only' }, attributes: [] }]));
    assert.deepEqual(puts(calls)[0]!.logEvents, [
      { timestamp: NOW - 1000, message: 'GET /cart 200 12ms' },
      { timestamp: NOW - 500, message: 'observed only' },
    ]);
  });
});

test('batches stay within 10,000 events and 1 MiB; an event above 256 KiB is truncated and marked', async () => {
  await withEndpoint({ raw_log: true }, async (h, calls) => {
    await deliver(h, logs(Array.from({ length: 10_001 }, (_, i) => rec(NOW - 10_000 + i, `line ${i}`))));
    assert.deepEqual(puts(calls).map((p) => p.logEvents.length), [10_000, 1]);

    calls.length = 0;
    const big = 'x'.repeat(200_000);
    await deliver(h, logs(Array.from({ length: 6 }, (_, i) => rec(NOW - 100 + i, big))));
    const sizes = puts(calls).map((p) => p.logEvents.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0));
    assert.deepEqual(puts(calls).map((p) => p.logEvents.length), [5, 1]);
    assert.ok(sizes.every((n) => n <= 1_048_576), `batch sizes ${sizes.join(', ')}`);

    calls.length = 0;
    await deliver(h, logs([rec(NOW, 'é'.repeat(150_000))]));
    const message = puts(calls)[0]!.logEvents[0]!.message;
    assert.ok(message.endsWith(TRUNCATED_SUFFIX));
    assert.ok(Buffer.byteLength(message) + 26 <= 262_144, `${Buffer.byteLength(message)} bytes`);
    assert.ok(Buffer.byteLength(message) + 26 > 262_144 - 4, 'cut at the limit, on a character boundary');
    assert.ok(!message.includes('\ufffd'));
  });
});

test('records older than 14 days or 2 hours ahead are dropped and counted, the rest sent', async () => {
  await withEndpoint({ raw_log: true }, async (h, calls) => {
    await deliver(h, logs([rec(NOW - 15 * 24 * 3600 * 1000, 'too old'), rec(NOW + 3 * 3600 * 1000, 'too new'), rec(NOW, 'fine')]));
    assert.deepEqual(puts(calls)[0]!.logEvents.map((e) => e.message), ['fine']);
    assert.equal(await h.counter('otelcol_exporter_send_failed_log_records'), 2);
    assert.equal(h.logs.lines.filter((l) => String(l.msg).includes('older than 14 days')).length, 1);
  });
});

test('throttling is retried on the back-off; a wrongly signed request is permanent; log_retention must be a CloudWatch period', async () => {
  let throttled = false;
  await withEndpoint(
    { retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } },
    async (h, calls) => {
      const outcome = submit(h.exporter, 'logs', logs([rec(NOW, 'retry me')]), receiverContext('otlp'));
      await settleWithRetries(h, outcome, 500);
      assert.equal(outcome.state, 'acked');
      assert.equal(puts(calls).length, 2);
    },
    (target) => {
      if (!target.endsWith('PutLogEvents') || throttled) return undefined;
      throttled = true;
      return { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
    },
  );

  const secret = process.env.AWS_SECRET_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret';
  try {
    await withEndpoint({}, async (h, calls, rejected) => {
      await assert.rejects(deliver(h, logs([rec(NOW, 'x')])), /InvalidSignatureException/);
      assert.equal(rejected(), 1, 'not retried');
      assert.equal(calls.length, 0);
    });
  } finally {
    process.env.AWS_SECRET_ACCESS_KEY = secret;
  }

  const ctx = { issues: [] as unknown[] };
  awsCloudWatchLogsExporterFactory.schema.parse({ log_group_name: 'g', log_stream_name: 's', log_retention: 10 }, ctx as never);
  assert.match(JSON.stringify(ctx.issues), /log_retention must be one of CloudWatch's periods/);
});

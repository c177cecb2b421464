// datadog (logs): HTTP intake v2 payloads read back with the official Datadog API client's
// HTTPLogItem model; fields, statuses and trace correlation; the intake's limits enforced by
// sending oversized batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import Long from 'long';
import { v2 } from '@datadog/datadog-api-client';
import { datadogExporterFactory } from '../../src/exporters/datadog/factory.js';
import { TRUNCATION_MARK } from '../../src/exporters/datadog/logs.js';
import { receiverContext } from '../../src/pipeline/envelope.js';
import type { KeyValue, LogRecord, LogsData } from '../../src/pdata/types.js';
import { settleWithRetries, startExporter, submit, type ExporterHarness } from '../helpers/exporter-harness.js';
import { waitUntil } from '../helpers/wait.js';

const s = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const MS = 1_700_000_000_123;
const logs = (records: LogRecord[]): LogsData => ({
  resourceLogs: [
    {
      resource: { attributes: [s('service.name', 'cart'), s('deployment.environment.name', 'prod'), s('service.version', '1.2.3'), s('host.name', 'node-7')] },
      scopeLogs: [{ logRecords: records }],
    },
  ],
});
const rec = (body: string, extra: Partial<LogRecord> = {}): LogRecord => ({ timeUnixNano: Long.fromNumber(MS, true).multiply(1_000_000), body: { stringValue: body }, attributes: [], ...extra });

interface Request {
  headers: IncomingHttpHeaders;
  url?: string;
  rawBytes: number;
  items: Array<Record<string, unknown>>;
  models: v2.HTTPLogItem[];
}

async function startIntake(statuses: number[] = []) {
  const received: Request[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = gunzipSync(Buffer.concat(chunks));
      const items = JSON.parse(raw.toString()) as Array<Record<string, unknown>>;
      received.push({ headers: req.headers, url: req.url, rawBytes: raw.length, items, models: items.map((i) => v2.ObjectSerializer.deserialize(i, 'HTTPLogItem', '') as v2.HTTPLogItem) });
      res.writeHead(statuses.shift() ?? 202).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function withIntake(run: (h: ExporterHarness, intake: Awaited<ReturnType<typeof startIntake>>) => Promise<void>, statuses?: number[]) {
  const intake = await startIntake(statuses);
  const h = await startExporter(datadogExporterFactory, 'datadog', 'logs', { api: { key: 'test-key' }, logs: { endpoint: intake.url }, sending_queue: { enabled: false } });
  try {
    await run(h, intake);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await intake.close();
  }
}

async function deliver(h: ExporterHarness, data: LogsData): Promise<void> {
  const outcome = submit(h.exporter, 'logs', data, receiverContext('otlp'));
  await waitUntil(() => outcome.state !== 'pending', 20_000, () => 'the export to settle');
  if (outcome.state === 'nacked') throw outcome.error!;
}

test('gzip JSON to /api/v2/logs with DD-API-KEY; items the official HTTPLogItem model reads; status, tags, correlation', async () => {
  await withIntake(async (h, intake) => {
    await deliver(
      h,
      logs([
        rec('payment failed', {
          severityNumber: 17,
          traceId: Uint8Array.from(Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')),
          spanId: Uint8Array.from(Buffer.from('b7ad6b7169203331', 'hex')),
          attributes: [s('http.route', '/pay'), { key: 'attempt', value: { intValue: 2 } }],
        }),
        rec('debugging', { severityText: 'DEBUG' }),
      ]),
    );
    const { headers, url, items, models } = intake.received[0]!;
    assert.equal(url, '/api/v2/logs');
    assert.equal(headers['dd-api-key'], 'test-key');
    assert.equal(headers['content-encoding'], 'gzip');
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(models[0]!.message, 'payment failed');
    assert.equal(models[0]!.service, 'cart');
    assert.equal(models[0]!.hostname, 'node-7');
    assert.equal(models[0]!.ddsource, 'otlp_log_ingestion');
    assert.equal(models[0]!.ddtags, 'env:prod,version:1.2.3');
    assert.deepEqual(items[0], {
      message: 'payment failed',
      ddsource: 'otlp_log_ingestion',
      status: 'error',
      ddtags: 'env:prod,version:1.2.3',
      hostname: 'node-7',
      service: 'cart',
      timestamp: MS,
      'service.name': 'cart',
      'deployment.environment.name': 'prod',
      'service.version': '1.2.3',
      'host.name': 'node-7',
      'http.route': '/pay',
      attempt: 2,
      'dd.trace_id': (0x8448eb211c80319cn).toString(),
      'otel.trace_id': '0af7651916cd43dd8448eb211c80319c',
      'dd.span_id': (0xb7ad6b7169203331n).toString(),
      'otel.span_id': 'b7ad6b7169203331',
      'otel.severity_number': 17,
    });
    assert.equal(items[1]!.status, 'debug');
  });
});

test('limits: at most 1000 items and 5 MB a request; an entry above 1 MB is truncated and marked', async () => {
  await withIntake(async (h, intake) => {
    await deliver(h, logs(Array.from({ length: 2500 }, (_, i) => rec(`line ${i}`))));
    assert.deepEqual(intake.received.map((r) => r.items.length), [1000, 1000, 500]);
    assert.deepEqual(intake.received.flatMap((r) => r.items.map((i) => i.message)), Array.from({ length: 2500 }, (_, i) => `line ${i}`), 'nothing lost, order kept');

    intake.received.length = 0;
    const big = 'x'.repeat(900_000);
    await deliver(h, logs(Array.from({ length: 12 }, () => rec(big))));
    assert.ok(intake.received.length >= 3, `${intake.received.length} requests`);
    assert.ok(intake.received.every((r) => r.rawBytes <= 5_000_000), intake.received.map((r) => r.rawBytes).join(', '));
    assert.equal(intake.received.reduce((n, r) => n + r.items.length, 0), 12);

    intake.received.length = 0;
    await deliver(h, logs([rec('y'.repeat(1_500_000))]));
    const item = intake.received[0]!.items[0]!;
    const message = item.message as string;
    assert.ok(message.endsWith(TRUNCATION_MARK));
    assert.ok(Buffer.byteLength(JSON.stringify(item)) <= 1_000_000);
    assert.ok(message.length > 900_000, 'cut near the limit, not far below it');
  });
});

test('intake errors: 5xx and 429 retried, 403 permanent with a hint', async () => {
  await withIntake(
    async (h, intake) => {
      const outcome = submit(h.exporter, 'logs', logs([rec('x')]), receiverContext('otlp'));
      await waitUntil(() => intake.received.length === 1, 5000, () => `${intake.received.length} requests`);
      await settleWithRetries(h, outcome, 1000);
      assert.equal(outcome.state, 'acked');
      assert.equal(intake.received.length, 3);
      await assert.rejects(deliver(h, logs([rec('x')])), /HTTP 403.*is api.key valid for datadoghq.com/);
      assert.equal(await h.counter('otelcol_exporter_send_failed_log_records'), 1);
    },
    [503, 429, 202, 403],
  );
});

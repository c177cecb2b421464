// The debug exporter's log lines at each verbosity, its sampling, and its uniform accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debugExporterFactory } from '../../src/exporters/debug/factory.js';
import type { Signal } from '../../src/pdata/types.js';
import { startExporter, submit, type ExporterHarness } from '../helpers/exporter-harness.js';
import { settle } from '../helpers/virtual-time.js';
import { sample } from '../helpers/samples.js';

async function run(signal: Signal, config: Record<string, unknown>, batches = 1): Promise<ExporterHarness> {
  const h = await startExporter(debugExporterFactory, 'debug', signal, config);
  for (let i = 0; i < batches; i++) submit(h.exporter, signal, sample(signal));
  await settle();
  return h;
}

const lines = (h: ExporterHarness, msg: string) => h.logs.lines.filter((l) => l.msg === msg);

test('basic: one line per batch with the Collector’s counts', async () => {
  const traces = await run('traces', {});
  assert.deepEqual(
    traces.logs.lines.map((l) => [l.msg, l['resource spans'], l.spans]),
    [['Traces', 1, 2]],
  );
  const metrics = await run('metrics', { verbosity: 'basic' });
  assert.deepEqual(
    metrics.logs.lines.map((l) => [l.msg, l['resource metrics'], l.metrics, l['data points']]),
    [['Metrics', 1, 2, 3]],
  );
  const logs = await run('logs', {});
  assert.deepEqual(
    logs.logs.lines.map((l) => [l.msg, l['resource logs'], l['log records']]),
    [['Logs', 1, 1]],
  );
});

test('normal: one line per item with its name and ids, type and point count, or body', async () => {
  const traces = await run('traces', { verbosity: 'normal' });
  assert.equal(lines(traces, 'Traces').length, 1);
  assert.deepEqual(
    lines(traces, 'Span').map((l) => [l.name, l.trace_id, l.span_id]),
    [
      ['GET /cart', '0102030405060708090a0b0c0d0e0f10', 'a1a2a3a4a5a6a7a8'],
      ['checkout', '0102030405060708090a0b0c0d0e0f10', 'b1b2b3b4b5b6b7b8'],
    ],
  );
  const metrics = await run('metrics', { verbosity: 'normal' });
  assert.deepEqual(
    lines(metrics, 'Metric').map((l) => [l.name, l.type, l.data_points]),
    [
      ['requests', 'Sum', 2],
      ['latency', 'Histogram', 1],
    ],
  );
  const logs = await run('logs', { verbosity: 'normal' });
  assert.deepEqual(
    lines(logs, 'LogRecord').map((l) => [l.body, l.severity_text]),
    [['order placed', 'INFO']],
  );
});

test('detailed: the full content of each item, with exact int64 values and hex ids', async () => {
  const traces = await run('traces', { verbosity: 'detailed' });
  const span = lines(traces, 'Span')[0]!;
  assert.deepEqual(span.resource, { 'service.name': 'checkout' });
  assert.deepEqual(span.scope, { name: 'sluice-test', version: '1.0.0', attributes: {} });
  assert.equal(span.parent_span_id, 'b1b2b3b4b5b6b7b8');
  assert.equal(span.span_kind, 'Server');
  assert.equal(span.start_time, '1700000000123456789');
  assert.equal(span.end_time, '1700000000223456789');
  assert.deepEqual(span.attributes, { 'http.status_code': 200, big: '9007199254740993' });
  assert.deepEqual(span.events, [{ name: 'cache miss', time: '1700000000123456789', attributes: {} }]);
  assert.deepEqual(span.status, { code: 'Error', message: 'boom' });

  const metrics = await run('metrics', { verbosity: 'detailed' });
  const [sum, histogram] = lines(metrics, 'Metric');
  assert.equal(sum!.aggregation_temporality, 'Cumulative');
  assert.equal(sum!.is_monotonic, true);
  assert.deepEqual(
    (sum!.data_points as Array<Record<string, unknown>>).map((p) => [p.attributes, p.value, p.time]),
    [
      [{ route: '/cart' }, '42', '1700000000223456789'],
      [{ route: '/pay' }, '7', '1700000000223456789'],
    ],
  );
  const point = (histogram!.data_points as Array<Record<string, unknown>>)[0]!;
  assert.deepEqual([point.count, point.sum, point.explicit_bounds, point.bucket_counts], ['3', 12.5, [5], ['1', '2']]);

  const logs = await run('logs', { verbosity: 'detailed' });
  const record = lines(logs, 'LogRecord')[0]!;
  assert.equal(record.body, 'order placed');
  assert.equal(record.severity_number, 9);
  assert.equal(record.time, '1700000000123456789');
  assert.equal(record.trace_id, '0102030405060708090a0b0c0d0e0f10');
  assert.deepEqual(record.attributes, { 'order.id': 'o-1' });

  for (const h of [traces, metrics, logs]) {
    for (const l of h.logs.lines) assert.doesNotMatch(JSON.stringify(l), /"(low|high|unsigned)":/, 'no raw Long objects in the output');
  }
});

test('sampling: per second, the first sampling_initial batches, then every sampling_thereafter-th', async () => {
  const h = await run('traces', { sampling_initial: 1, sampling_thereafter: 3 }, 7);
  assert.equal(lines(h, 'Traces').length, 3, 'batches 1, 4 and 7 are written');
  await h.clock.advance(1000);
  submit(h.exporter, 'traces', sample('traces'));
  await settle();
  assert.equal(lines(h, 'Traces').length, 4, 'a new second starts a new window');
});

test('every batch is acked and counted as sent, written or sampled out', async () => {
  const h = await startExporter(debugExporterFactory, 'debug', 'logs', { sampling_initial: 0, sampling_thereafter: 0 });
  const outcomes = [submit(h.exporter, 'logs', sample('logs')), submit(h.exporter, 'logs', sample('logs'))];
  await settle();
  assert.deepEqual(
    outcomes.map((o) => o.state),
    ['acked', 'acked'],
  );
  assert.equal(h.logs.lines.length, 0);
  assert.equal(await h.counter('otelcol_exporter_sent_log_records'), 2);
  await h.exporter.shutdown(h.clock.now() + 1000);
});

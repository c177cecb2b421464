// SIGTERM with data held in the batch processor and waiting in an exporter queue: all of it is
// exported before the process exits, and the client whose data sat in the batch gets its 200.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import type { LogsData, TracesData } from '../../src/pdata/types.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { writeTempConfig } from '../helpers/service.js';
import { freePort } from '../helpers/ports.js';
import { startCli } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

function post(port: number, path: string, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForHttp(port: number, limitMs: number): Promise<void> {
  const limit = Date.now() + limitMs;
  for (;;) {
    try {
      await post(port, '/v1/logs', otlpCodecs.logs.encode({ resourceLogs: [] }));
      return;
    } catch (err) {
      if (Date.now() > limit) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const traces = (n: number): TracesData =>
  ({
    resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: n }, (_, i) => ({ name: `held-${i}`, traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(i + 1) })) }] }],
  }) as unknown as TracesData;
const logs = (i: number): LogsData =>
  ({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: `queued-${i}` } }] }] }] }) as unknown as LogsData;

test('SIGTERM flushes the batch processor and drains the exporter queue before exit', async () => {
  let sink: Sink | undefined;
  const httpPort = await freePort();
  try {
    sink = await startSink();
    // Slow backend: queued log batches wait behind one consumer.
    sink.answer = (e) => setTimeout(() => e.ack(), 300);
    const config = writeTempConfig(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${httpPort}" }
processors:
  batch/hold: { send_batch_size: 10000, timeout: 1h }
exporters:
  otlp/sink:
    endpoint: "127.0.0.1:${sink.grpcPort}"
    tls: { insecure: true }
    sending_queue: { queue_size: 100, num_consumers: 1 }
service:
  shutdown_timeout: 20s
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], processors: [batch/hold], exporters: [otlp/sink] }
    logs: { receivers: [otlp], exporters: [otlp/sink] }
`);
    const { child, output, exited } = startCli(['run', '--config', config]);
    await waitForHttp(httpPort, 30_000);

    const held = post(httpPort, '/v1/traces', otlpCodecs.traces.encode(traces(7)));
    for (let i = 0; i < 5; i++) assert.equal(await post(httpPort, '/v1/logs', otlpCodecs.logs.encode(logs(i))), 200);
    assert.equal(sink.items.traces, 0, 'spans are still held by the batch processor');

    child.kill('SIGTERM');
    assert.equal(await held, 200, 'the held request is answered once its batch is exported');
    assert.equal(await exited, 0, `clean exit; output:\n${output()}`);
    await waitUntil(() => sink!.items.logs === 5 && sink!.items.traces === 7, 5000, () => `sink has ${sink!.items.logs} logs, ${sink!.items.traces} spans`);
    assert.match(output(), /shutdown complete/);
  } finally {
    await sink?.close();
  }
});

test('a second signal exits at once when draining would take too long', async () => {
  const httpPort = await freePort();
  const downPort = await freePort();
  const config = writeTempConfig(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${httpPort}" }
exporters:
  otlp/down:
    endpoint: "127.0.0.1:${downPort}"
    tls: { insecure: true }
    retry_on_failure: { initial_interval: 100ms, max_interval: 100ms, max_elapsed_time: 0 }
service:
  shutdown_timeout: 10m
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [otlp/down] }
`);
  const { child, output, exited } = startCli(['run', '--config', config]);
  await waitForHttp(httpPort, 30_000);
  // Queued for a backend that never answers: the first signal's drain would wait for the 10m deadline.
  assert.equal(await post(httpPort, '/v1/logs', otlpCodecs.logs.encode(logs(0))), 200);
  child.kill('SIGTERM');
  await waitUntil(() => output().includes('shutting down gracefully'), 10_000, output);
  child.kill('SIGTERM');
  assert.equal(await exited, 1, output());
  assert.match(output(), /second signal: exiting without finishing shutdown/);
});

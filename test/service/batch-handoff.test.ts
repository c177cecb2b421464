// The batch processor hands its batching to exporter queues that answer at enqueue: clients are
// answered before anything is exported, and the backend still gets the batches the processor's
// settings describe. With `wait_for_result` the processor keeps holding, as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { countSpans } from '../../src/pdata/count.js';
import type { TracesData } from '../../src/pdata/types.js';
import { startRecordingServer } from '../helpers/recording-server.js';
import { receiverPorts, startService } from '../helpers/service.js';
import { post } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

function spans(n: number): Uint8Array {
  const list = Array.from({ length: n }, (_, i) => ({ name: `op-${i}`, traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(i + 1), attributes: [] }));
  return otlpCodecs.traces.encode({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: list }] }] } as unknown as TracesData);
}

const config = (url: string, waitForResult: boolean) => `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0" }
processors:
  batch: { timeout: 1h, send_batch_size: 30 }
exporters:
  otlphttp:
    endpoint: ${url}
    sending_queue: { wait_for_result: ${waitForResult} }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [otlphttp] }
`;

test('exporters answering at enqueue: clients are answered before any export, and the backend gets send_batch_size batches', async (t) => {
  const backend = await startRecordingServer((req, body) => countSpans(otlpCodecs.traces.decode(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body)), () => ({ status: 200 }));
  const service = await startService(config(backend.url, false));
  t.after(async () => {
    await service.shutdown();
    await backend.close();
  });
  const port = receiverPorts(service).http!;
  for (let i = 0; i < 2; i++) {
    assert.equal((await post(port, '/v1/traces', spans(10))).status, 200);
    assert.equal(backend.requests.length, 0, 'answered without waiting for the batch (timeout 1h, 10 of 30 spans)');
  }
  assert.equal((await post(port, '/v1/traces', spans(10))).status, 200);
  await waitUntil(() => backend.requests.length === 1, 10_000, () => `requests ${backend.requests.length}`);
  assert.deepEqual(backend.requests, [30], 'one batch of send_batch_size, made in the exporter queue');
});

test('wait_for_result: the batch processor holds the answer until its batch is exported, as before', async (t) => {
  const backend = await startRecordingServer((req, body) => countSpans(otlpCodecs.traces.decode(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body)), () => ({ status: 200 }));
  const service = await startService(config(backend.url, true));
  t.after(async () => {
    await service.shutdown();
    await backend.close();
  });
  const port = receiverPorts(service).http!;
  const answers = [post(port, '/v1/traces', spans(10)), post(port, '/v1/traces', spans(10)), post(port, '/v1/traces', spans(10))];
  const statuses = (await Promise.all(answers)).map((a) => a.status);
  assert.deepEqual(statuses, [200, 200, 200]);
  assert.deepEqual(backend.requests, [30], 'answered only once the batch was exported');
});

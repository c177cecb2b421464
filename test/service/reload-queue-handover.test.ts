// Reload hands a persistent sending queue over: an exporter whose config changed but names the same
// file_storage gets the queue its predecessor holds, so data queued while the backend was down is
// delivered once after the swap, neither lost with the old instance nor replayed twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import type { TracesData } from '../../src/pdata/types.js';
import { startRecordingServer } from '../helpers/recording-server.js';
import { receiverPorts, serviceConfigFromFiles, startServiceFromFiles, writeTempConfig } from '../helpers/service.js';
import { post } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

function spans(first: number, n: number): Uint8Array {
  const list = Array.from({ length: n }, (_, i) => ({ name: `op-${first + i}`, traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(1), attributes: [] }));
  return otlpCodecs.traces.encode({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: list }] }] } as unknown as TracesData);
}

test('reload: a changed exporter with the same storage takes over the queue; everything arrives exactly once', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-handover-'));
  let down = true;
  const delivered = new Map<string, number>();
  const backend = await startRecordingServer(
    (req, body) => otlpCodecs.traces.decode(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name ?? ''))),
    (names) => {
      if (down) return { status: 503, headers: { 'retry-after': '0' } };
      for (const n of names as string[]) delivered.set(n, (delivered.get(n) ?? 0) + 1);
      return { status: 200 };
    },
  );
  const yaml = (timeout: string) => `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0" }
extensions:
  file_storage: { directory: ${directory} }
exporters:
  otlphttp:
    endpoint: ${backend.url}
    timeout: ${timeout}
    sending_queue: { storage: file_storage, num_consumers: 2 }
    retry_on_failure: { initial_interval: 20ms, max_interval: 50ms, max_elapsed_time: 0 }
service:
  extensions: [file_storage]
  shutdown_timeout: 500ms
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], exporters: [otlphttp] }
`;
  const service = await startServiceFromFiles([writeTempConfig(yaml('5s'))]);
  t.after(async () => {
    await service.shutdown();
    await backend.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const port = receiverPorts(service).http!;
  for (let i = 0; i < 10; i++) assert.equal((await post(port, '/v1/traces', spans(i * 10, 10))).status, 200);

  const result = await service.reload(serviceConfigFromFiles([writeTempConfig(yaml('3s'))]));
  assert.equal(result.successful, true, JSON.stringify(result));
  assert.ok(result.rebuilt.some((r) => r.includes('otlphttp')), JSON.stringify(result));
  assert.equal(receiverPorts(service).http, port, 'the receiver kept its socket');
  for (let i = 10; i < 15; i++) assert.equal((await post(port, '/v1/traces', spans(i * 10, 10))).status, 200);

  down = false;
  await waitUntil(() => delivered.size === 150, 20_000, () => `delivered ${delivered.size} of 150`);
  // Give a replay that should not happen the time to happen: one more request behind the backlog.
  assert.equal((await post(port, '/v1/traces', spans(150, 1))).status, 200);
  await waitUntil(() => delivered.has('op-150'), 10_000, () => 'the last request');
  assert.deepEqual([...delivered.values()].filter((n) => n !== 1), [], 'no span delivered twice');
});

// A request the receiver got as OTLP protobuf reaches an OTLP exporter as those same bytes when
// nothing on the way can have changed its data (memory_limiter, batch handing its batching to the
// exporter queue, a fan-out to read-only branches), and is encoded from its data again behind any
// other processor. An unknown field in the request tells the two apart: decoding drops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import type { TracesData } from '../../src/pdata/types.js';
import { startRecordingServer } from '../helpers/recording-server.js';
import { receiverPorts, startService } from '../helpers/service.js';
import { post } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

const MARKER = 'an unknown field only the received bytes hold';

/** Three spans, then field 99 (unknown to OTLP), length-delimited, holding MARKER. */
function request(prefix: string): Buffer {
  const spans = Array.from({ length: 3 }, (_, i) => ({ name: `${prefix}-${i}`, traceId: new Uint8Array(16).fill(i + 1), spanId: new Uint8Array(8).fill(i + 1), attributes: [] }));
  const known = otlpCodecs.traces.encode({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] } as unknown as TracesData);
  const marker = Buffer.from(MARKER);
  return Buffer.concat([known, Buffer.from([0x9a, 0x06, marker.length]), marker]);
}

const names = (body: Buffer) => otlpCodecs.traces.decode(body).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name)));

const config = (url: string, dir: string, processors: string, sendingQueue: string) => `
extensions:
  file_storage: { directory: "${dir}" }
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0" }
processors:
  memory_limiter: { check_interval: 1s, limit_mib: 1500, spike_limit_mib: 300 }
  batch: { timeout: 50ms, send_batch_size: 6 }
  probabilistic_sampler: { sampling_percentage: 100 }
exporters:
  otlphttp:
    endpoint: ${url}
    compression: none
    sending_queue: ${sendingQueue}
service:
  extensions: [file_storage]
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], processors: [${processors}], exporters: [otlphttp] }
`;

async function run(t: { after(fn: () => Promise<void>): void }, processors: string, sendingQueue = '{}'): Promise<Buffer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-passthrough-'));
  const backend = await startRecordingServer((_req, body) => body, () => ({ status: 200 }));
  const service = await startService(config(backend.url, dir, processors, sendingQueue));
  t.after(async () => {
    await service.shutdown();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = receiverPorts(service).http!;
  for (const prefix of ['a', 'b']) {
    const res = await post(port, '/v1/traces', request(prefix), { 'content-type': 'application/x-protobuf' });
    assert.equal(res.status, 200);
  }
  await waitUntil(() => backend.requests.flatMap(names).length === 6, 10_000, () => `spans at the backend: ${backend.requests.flatMap(names).length}`);
  assert.deepEqual(backend.requests.flatMap(names), ['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'b-2']);
  return backend.requests;
}

test('memory queue: through memory_limiter and batch the exporter sends the bytes as received, joined into one batch', async (t) => {
  const bodies = await run(t, 'memory_limiter, batch');
  assert.equal(bodies.length, 1, 'the two requests went as one batch of send_batch_size');
  assert.equal(bodies[0]!.toString('latin1').split(MARKER).length - 1, 2, 'both requests as received, unknown field and all');
});

test('file_storage: the persistent queue stores and sends the bytes as received', async (t) => {
  const bodies = await run(t, 'batch', '{ storage: file_storage }');
  assert.equal(bodies.map((b) => b.toString('latin1').split(MARKER).length - 1).reduce((a, b) => a + b, 0), 2);
});

test('behind any other processor the data is encoded again: nothing it may have changed goes out as the old bytes', async (t) => {
  const bodies = await run(t, 'probabilistic_sampler, batch');
  assert.ok(bodies.every((b) => !b.includes(MARKER)), 'encoded from the data, so the unknown field is gone');
});

// An exporter whose backend is down fills its bounded queue; the receiver then refuses with
// 503 / UNAVAILABLE; when the backend comes back the queue drains and nothing acked is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { exportMethodPath, rawBytes } from '../../src/codec/otlp-grpc.js';
import type { TracesData } from '../../src/pdata/types.js';
import { idToHex } from '../../src/pdata/ids.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { receiverPorts, startService } from '../helpers/service.js';
import { freePort } from '../helpers/ports.js';
import type { Service } from '../../src/service/service.js';

let spanCounter = 0;
function tracesRequest(spans: number): TracesData {
  const list = [];
  for (let i = 0; i < spans; i++) {
    const id = ++spanCounter;
    const spanId = new Uint8Array(8);
    new DataView(spanId.buffer).setUint32(4, id);
    list.push({ traceId: new Uint8Array(16).fill(7), spanId, name: `op-${id}`, attributes: [], events: [], links: [] });
  }
  return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: list }] }] } as unknown as TracesData;
}

function postTraces(port: number, body: Uint8Array): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function grpcExport(port: number, body: Uint8Array): Promise<grpc.ServiceError | undefined> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      exportMethodPath('traces'),
      rawBytes,
      rawBytes,
      Buffer.from(body),
      (err) => {
        client.close();
        resolve(err ?? undefined);
      },
    );
  });
}

function spanIds(data: TracesData): string[] {
  return data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => idToHex(s.spanId))));
}

test('a full exporter queue refuses with 503/UNAVAILABLE, then drains without losing acked data', async () => {
  const backendPort = await freePort();
  let front: Service | undefined;
  let sink: Sink | undefined;
  try {
    front = await startService(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
      http: { endpoint: "127.0.0.1:0" }
exporters:
  otlp/down:
    endpoint: "127.0.0.1:${backendPort}"
    tls: { insecure: true }
    timeout: 1s
    sending_queue: { queue_size: 3, num_consumers: 1 }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0 }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], exporters: [otlp/down] }
`);
    const ports = receiverPorts(front);
    const accepted: string[] = [];
    let refused: { status: number; retryAfter?: string } | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      const data = tracesRequest(10);
      const res = await postTraces(ports.http!, otlpCodecs.traces.encode(data));
      if (res.status === 200) accepted.push(...spanIds(data));
      else refused = res;
    }
    assert.ok(refused, 'the receiver refused once the queue was full');
    assert.equal(refused.status, 503);
    assert.match(refused.retryAfter ?? '', /^\d+$/);
    assert.ok(accepted.length >= 30, `the queue took its capacity first (${accepted.length} spans)`);

    const grpcErr = await grpcExport(ports.grpc!, otlpCodecs.traces.encode(tracesRequest(5)));
    assert.equal(grpcErr?.code, grpc.status.UNAVAILABLE, 'gRPC clients see UNAVAILABLE');

    const metrics = await front.telemetry.render();
    assert.match(metrics, /otelcol_exporter_enqueue_failed_spans\{exporter="otlp\/down"\} [1-9]/);
    assert.match(metrics, /otelcol_receiver_refused_spans\{receiver="otlp",transport="http"\} [1-9]/);
    assert.match(metrics, /otelcol_exporter_queue_size\{exporter="otlp\/down",data_type="traces"\} [1-9]/);

    sink = await startSink({ grpcPort: backendPort });
    await sink.waitForItems('traces', accepted.length);
    const arrived = new Set(sink.received.traces.flatMap((r) => spanIds(r.data)));
    for (const id of accepted) assert.ok(arrived.has(id), `acked span ${id} arrived`);
  } finally {
    await front?.shutdown();
    await sink?.close();
  }
});

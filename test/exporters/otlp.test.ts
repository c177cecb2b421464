// The otlp (gRPC) exporter against a real grpc-js server implementing the three Export services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { encodeExportResponse } from '../../src/codec/otlp-proto.js';
import { exportServiceDefinition } from '../../src/codec/otlp-grpc.js';
import { otlpExporterFactory } from '../../src/exporters/otlp/factory.js';
import { grpcTarget } from '../../src/exporters/grpc-client.js';
import { PermanentError } from '../../src/pipeline/errors.js';
import { SIGNALS, type Signal } from '../../src/pdata/types.js';
import { countItems, ITEM_NAME } from '../../src/pdata/count.js';
import { startExporter, submit } from '../helpers/exporter-harness.js';
import { waitUntil } from '../helpers/wait.js';
import { sample, sampleBytes } from '../helpers/samples.js';

interface Received {
  signal: Signal;
  body: Buffer;
  metadata: grpc.Metadata;
}

type Answer = (r: Received) => { error: Partial<grpc.StatusObject> } | { response: Uint8Array };

interface Backend {
  port: number;
  received: Received[];
  answer: Answer;
  close(): Promise<void>;
}

async function startBackend(credentials = grpc.ServerCredentials.createInsecure()): Promise<Backend> {
  const server = new grpc.Server();
  const backend = { received: [] as Received[], answer: ((r) => ({ response: encodeExportResponse(r.signal) })) as Answer } as Backend;
  for (const signal of SIGNALS) {
    server.addService(exportServiceDefinition(signal), {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const r = { signal, body: call.request, metadata: call.metadata };
        backend.received.push(r);
        const answer = backend.answer(r);
        if ('error' in answer) callback(answer.error as grpc.ServiceError);
        else callback(null, Buffer.from(answer.response));
      },
    });
  }
  backend.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))),
  );
  backend.close = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return backend;
}

const start = (signal: Signal, config: Record<string, unknown>) => startExporter(otlpExporterFactory, 'otlp/test', signal, config);

test('each signal arrives byte-identical, with the configured headers as metadata', async () => {
  const backend = await startBackend();
  try {
    for (const signal of SIGNALS) {
      const { clock, counter, exporter } = await start(signal, {
        endpoint: `127.0.0.1:${backend.port}`,
        tls: { insecure: true },
        headers: { 'X-Scope-OrgID': 'tenant-a' },
      });
      const data = sample(signal);
      submit(exporter, signal, data);
      await waitUntil(() => backend.received.some((r) => r.signal === signal), 10_000, () => `${signal} not received`);
      const r = backend.received.find((x) => x.signal === signal)!;
      assert.ok(r.body.equals(sampleBytes(signal)), `${signal} arrives byte-identical`);
      assert.deepEqual(r.metadata.get('x-scope-orgid'), ['tenant-a']);
      const expected = countItems(signal, data);
      await exporter.shutdown(clock.now() + 5000);
      assert.equal(await counter(`otelcol_exporter_sent_${ITEM_NAME[signal]}`), expected);
    }
  } finally {
    await backend.close();
  }
});

/** A bare HTTP/2 endpoint speaking just enough gRPC to show what goes over the wire (grpc-js servers hide the encoding). */
async function startWireCapture(): Promise<{ port: number; frames: Array<{ headers: http2.IncomingHttpHeaders; frame: Buffer }>; close(): Promise<void> }> {
  const frames: Array<{ headers: http2.IncomingHttpHeaders; frame: Buffer }> = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      frames.push({ headers, frame: Buffer.concat(chunks) });
      const response = Buffer.from(encodeExportResponse('traces'));
      const out = Buffer.alloc(5 + response.length);
      out.writeUInt32BE(response.length, 1);
      response.copy(out, 5);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    frames,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test('compression: gzip by default, plain with compression: none', async () => {
  const wire = await startWireCapture();
  try {
    for (const compression of ['gzip', 'none'] as const) {
      const config: Record<string, unknown> = { endpoint: `http://127.0.0.1:${wire.port}` };
      if (compression === 'none') config.compression = 'none';
      const { clock, exporter } = await start('traces', config);
      const before = wire.frames.length;
      submit(exporter, 'traces', sample('traces'));
      await waitUntil(() => wire.frames.length > before, 10_000, () => `no ${compression} request`);
      await exporter.shutdown(clock.now() + 5000);
      const { headers, frame } = wire.frames[before]!;
      const payload = frame.subarray(5, 5 + frame.readUInt32BE(1));
      const expected = sampleBytes('traces');
      if (compression === 'gzip') {
        assert.equal(headers['grpc-encoding'], 'gzip');
        assert.equal(frame[0], 1, 'the message is flagged compressed');
        assert.ok(gunzipSync(payload).equals(expected));
      } else {
        assert.equal(headers['grpc-encoding'], undefined);
        assert.equal(frame[0], 0);
        assert.ok(payload.equals(expected));
      }
    }
  } finally {
    await wire.close();
  }
});

test('UNAVAILABLE is retried after the back-off, then the batch is sent', async () => {
  const backend = await startBackend();
  try {
    let calls = 0;
    backend.answer = (r) => (++calls === 1 ? { error: { code: grpc.status.UNAVAILABLE, details: 'warming up' } } : { response: encodeExportResponse(r.signal) });
    const { clock, counter, logs, exporter } = await start('logs', {
      endpoint: `127.0.0.1:${backend.port}`,
      tls: { insecure: true },
      retry_on_failure: { initial_interval: '2s', randomization_factor: 0 },
    });
    const outcome = submit(exporter, 'logs', sample('logs'));
    assert.equal(outcome.state, 'acked', 'queued');
    await waitUntil(() => logs.lines.some((l) => l.msg === 'Exporting failed, will retry'), 10_000, () => 'no retry logged');
    const retry = logs.lines.find((l) => l.msg === 'Exporting failed, will retry')!;
    assert.equal(retry.interval_ms, 2000);
    assert.match(String(retry.error), /UNAVAILABLE: warming up/);
    await clock.advance(1999);
    assert.equal(backend.received.length, 1, 'no retry before the interval');
    await clock.advance(1);
    await waitUntil(() => backend.received.length === 2, 10_000, () => 'retry not received');
    await exporter.shutdown(clock.now() + 5000);
    assert.equal(await counter('otelcol_exporter_sent_log_records'), 1);
    assert.ok(backend.received[1]!.body.equals(backend.received[0]!.body), 'the same batch is sent again');
  } finally {
    await backend.close();
  }
});

test('INVALID_ARGUMENT is permanent: not retried, the envelope is nacked with the status', async () => {
  const backend = await startBackend();
  try {
    backend.answer = () => ({ error: { code: grpc.status.INVALID_ARGUMENT, details: 'span name too long' } });
    const { clock, counter, exporter } = await start('traces', {
      endpoint: `127.0.0.1:${backend.port}`,
      tls: { insecure: true },
      sending_queue: { enabled: false },
    });
    const outcome = submit(exporter, 'traces', sample('traces'));
    await waitUntil(() => outcome.state !== 'pending', 10_000, () => 'not settled');
    assert.equal(outcome.state, 'nacked');
    assert.ok(outcome.error instanceof PermanentError);
    assert.match(outcome.error.message, /INVALID_ARGUMENT: span name too long/);
    await clock.advance(600_000);
    assert.equal(backend.received.length, 1);
    assert.equal(await counter('otelcol_exporter_send_failed_spans'), 2);
    await exporter.shutdown(clock.now() + 5000);
  } finally {
    await backend.close();
  }
});

/** google.rpc.Status { code, message, details: [Any { type_url, value: RetryInfo { retry_delay: { seconds } } }] }, written field by field. */
function retryInfoTrailer(seconds: number): grpc.Metadata {
  const retryInfo = protobuf.Writer.create().uint32((1 << 3) | 2).fork().uint32((1 << 3) | 0).int64(seconds).ldelim().finish();
  const any = protobuf.Writer.create().uint32((1 << 3) | 2).string('type.googleapis.com/google.rpc.RetryInfo').uint32((2 << 3) | 2).bytes(retryInfo).finish();
  const status = protobuf.Writer.create()
    .uint32((1 << 3) | 0)
    .int32(grpc.status.RESOURCE_EXHAUSTED)
    .uint32((2 << 3) | 2)
    .string('slow down')
    .uint32((3 << 3) | 2)
    .bytes(any)
    .finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status));
  return metadata;
}

test('RESOURCE_EXHAUSTED with RetryInfo is retried after the server’s delay; without it, it is permanent', async () => {
  const backend = await startBackend();
  try {
    let calls = 0;
    backend.answer = (r) =>
      ++calls === 1
        ? { error: { code: grpc.status.RESOURCE_EXHAUSTED, details: 'slow down', metadata: retryInfoTrailer(30) } }
        : { response: encodeExportResponse(r.signal) };
    const throttled = await start('metrics', {
      endpoint: `127.0.0.1:${backend.port}`,
      tls: { insecure: true },
      sending_queue: { enabled: false },
      retry_on_failure: { initial_interval: '1s', randomization_factor: 0 },
    });
    const outcome = submit(throttled.exporter, 'metrics', sample('metrics'));
    await waitUntil(() => throttled.logs.lines.some((l) => l.msg === 'Exporting failed, will retry'), 10_000, () => 'no retry logged');
    assert.equal(throttled.logs.lines.find((l) => l.msg === 'Exporting failed, will retry')!.interval_ms, 30_000);
    await throttled.clock.advance(29_999);
    assert.equal(outcome.state, 'pending');
    assert.equal(backend.received.length, 1);
    await throttled.clock.advance(1);
    await waitUntil(() => outcome.state !== 'pending', 10_000, () => 'retry not settled');
    assert.equal(outcome.state, 'acked');
    await throttled.exporter.shutdown(throttled.clock.now() + 5000);

    backend.answer = () => ({ error: { code: grpc.status.RESOURCE_EXHAUSTED, details: 'message too large' } });
    const plain = await start('metrics', { endpoint: `127.0.0.1:${backend.port}`, tls: { insecure: true }, sending_queue: { enabled: false } });
    const refused = submit(plain.exporter, 'metrics', sample('metrics'));
    await waitUntil(() => refused.state !== 'pending', 10_000, () => 'not settled');
    assert.ok(refused.error instanceof PermanentError);
    await plain.exporter.shutdown(plain.clock.now() + 5000);
  } finally {
    await backend.close();
  }
});

test('a partial success is logged with the rejected count and message, and not retried', async () => {
  const backend = await startBackend();
  try {
    backend.answer = (r) => ({ response: encodeExportResponse(r.signal, { rejected: 1, errorMessage: 'span too old' }) });
    const { clock, counter, logs, exporter } = await start('traces', { endpoint: `127.0.0.1:${backend.port}`, tls: { insecure: true } });
    submit(exporter, 'traces', sample('traces'));
    await waitUntil(() => logs.lines.some((l) => l.level === 'warn'), 10_000, () => 'no warning');
    await exporter.shutdown(clock.now() + 5000);
    const warning = logs.lines.find((l) => l.level === 'warn')!;
    assert.equal(warning.rejected, 1);
    assert.equal(warning.message, 'span too old');
    assert.equal(backend.received.length, 1);
    assert.equal(await counter('otelcol_exporter_sent_spans'), 2);
  } finally {
    await backend.close();
  }
});

test('endpoint schemes decide TLS the way the Collector does', () => {
  assert.deepEqual(grpcTarget('tempo:4317', { insecure: false }), { target: 'tempo:4317', secure: true });
  assert.deepEqual(grpcTarget('tempo:4317', { insecure: true }), { target: 'tempo:4317', secure: false });
  assert.deepEqual(grpcTarget('https://tempo:4317', { insecure: true }), { target: 'tempo:4317', secure: true });
  assert.deepEqual(grpcTarget('http://tempo:4317/', { insecure: false }), { target: 'tempo:4317', secure: false });
});

test('TLS: the server certificate is verified against tls.ca_file under tls.server_name_override', async () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
  const backend = await startBackend(
    grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(fixture('server.pem')), private_key: readFileSync(fixture('server-key.pem')) }]),
  );
  try {
    const { clock, exporter } = await start('logs', {
      endpoint: `127.0.0.1:${backend.port}`,
      tls: { ca_file: fixture('ca.pem'), server_name_override: 'sluice-test.local' },
      sending_queue: { enabled: false },
    });
    const outcome = submit(exporter, 'logs', sample('logs'));
    await waitUntil(() => outcome.state !== 'pending', 10_000, () => 'not settled');
    await exporter.shutdown(clock.now() + 5000);
    assert.equal(outcome.state, 'acked', outcome.error?.message);
    assert.ok(backend.received[0]!.body.equals(sampleBytes('logs')));
  } finally {
    await backend.close();
  }
});

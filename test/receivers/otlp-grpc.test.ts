// OTLP/gRPC receiver: a raw grpc-js client and the OpenTelemetry SDK gRPC exporter, malformed
// messages, the gzip bomb, status mapping, metadata, TLS and mTLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { decodeExportResponse, otlpCodecs } from '../../src/codec/otlp-proto.js';
import { exportMethodPath, rawBytes } from '../../src/codec/otlp-grpc.js';
import { grpcError, retryInfoDelayMs } from '../../src/exporters/grpc-client.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import type { LogsData, Signal, TracesData } from '../../src/pdata/types.js';
import { makeTestPki } from '../helpers/tls.js';
import { otlpReceiverSchema } from '../../src/receivers/otlp/config.js';
import { serverOptions } from '../../src/receivers/otlp/grpc-server.js';
import type { Envelope } from '../../src/pipeline/envelope.js';
import { waitUntil } from '../helpers/wait.js';
import { startReceiver, metricValue, sdkPayloads } from './harness.js';

function call(
  port: number,
  signal: Signal,
  body: Uint8Array,
  options: { metadata?: grpc.Metadata; credentials?: grpc.ChannelCredentials; channel?: grpc.ChannelOptions } = {},
): Promise<{ err?: grpc.ServiceError; response?: Buffer }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, options.credentials ?? grpc.credentials.createInsecure(), options.channel);
  return new Promise((resolve) => {
    client.makeUnaryRequest(exportMethodPath(signal), rawBytes, rawBytes, Buffer.from(body), options.metadata ?? new grpc.Metadata(), (err, response) => {
      client.close();
      resolve({ err: err ?? undefined, response });
    });
  });
}

const traces = (n: number) =>
  otlpCodecs.traces.encode({
    resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: n }, (_, i) => ({ name: `g${i}`, traceId: new Uint8Array(16).fill(4), spanId: new Uint8Array(8).fill(i + 1) })) }] }],
  } as unknown as TracesData);

test('Export over gRPC: raw client, gzip, and the OpenTelemetry SDK exporter', async () => {
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
  try {
    const plain = await call(h.grpcPort, 'traces', traces(3));
    assert.equal(plain.err, undefined);
    assert.deepEqual(otlpCodecs.traces.response.toObject(otlpCodecs.traces.response.decode(plain.response!)), {});
    const gz = await call(h.grpcPort, 'traces', traces(2), { channel: { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip } });
    assert.equal(gz.err, undefined);
    const logs = otlpCodecs.logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'hi' } }] }] }] } as unknown as LogsData);
    assert.equal((await call(h.grpcPort, 'logs', logs)).err, undefined);

    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${h.grpcPort}` }))] });
    provider.getTracer('sdk').startSpan('from-sdk').end();
    await provider.forceFlush();
    await provider.shutdown();

    assert.deepEqual(h.envelopes.map((e) => [e.signal, e.items, e.context.transport]), [
      ['traces', 3, 'grpc'],
      ['traces', 2, 'grpc'],
      ['logs', 1, 'grpc'],
      ['traces', 1, 'grpc'],
    ]);
    assert.equal((h.envelopes[3]!.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'from-sdk');
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_accepted_spans\{receiver="otlp",transport="grpc"\} (\d+)/), 6);
  } finally {
    await h.close();
  }
});

test('every signal, serialized by the OpenTelemetry SDK, reaches its pipeline over gRPC', async () => {
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
  try {
    const payloads = await sdkPayloads();
    for (const p of payloads) assert.equal((await call(h.grpcPort, p.signal, p.proto)).err, undefined, p.signal);
    assert.deepEqual(
      h.envelopes.map((e) => [e.signal, e.items]),
      payloads.map((p) => [p.signal, p.items]),
    );
  } finally {
    await h.close();
  }
});

test('malformed messages and a gzip bomb are errors to the sender, and the server keeps serving', async () => {
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', max_recv_msg_size_mib: 1 } });
  try {
    const garbage = await call(h.grpcPort, 'traces', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert.equal(garbage.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(garbage.err!.details, /cannot decode traces request/);
    const truncated = await call(h.grpcPort, 'traces', traces(5).subarray(0, 30));
    assert.equal(truncated.err?.code, grpc.status.INVALID_ARGUMENT);

    // A valid-looking message of 64 MiB of zeros that gzips to a few dozen KiB: grpc-js must refuse
    // it by its decompressed size, without inflating it all.
    const bombBody = Buffer.alloc(64 * 1024 * 1024);
    const bomb = await call(h.grpcPort, 'traces', bombBody, { channel: { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip, 'grpc.max_send_message_length': -1 } });
    assert.equal(bomb.err?.code, grpc.status.RESOURCE_EXHAUSTED, bomb.err?.details);
    assert.match(bomb.err!.details, /decompresses to a size larger than/, 'refused by the bounded inflater, not after inflating');
    assert.ok(gzipSync(bombBody).length < 1024 * 1024, 'the compressed bomb is under the limit');

    const oversize = await call(h.grpcPort, 'traces', Buffer.alloc(2 * 1024 * 1024), { channel: { 'grpc.max_send_message_length': -1 } });
    assert.equal(oversize.err?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal((await call(h.grpcPort, 'traces', traces(1))).err, undefined, 'still serving');
    assert.equal(await metricValue(h.telemetry, /sluice_receiver_bad_requests\{receiver="otlp",transport="grpc",reason="undecodable"\} (\d+)/), 2);
  } finally {
    await h.close();
  }
});

test('pipeline refusals map to UNAVAILABLE, RESOURCE_EXHAUSTED and INVALID_ARGUMENT; signals without a pipeline are UNIMPLEMENTED', async () => {
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } }, ['traces']);
  try {
    h.answer = (e) => e.nack(new RetryableError('sending queue is full'));
    const unavailable = (await call(h.grpcPort, 'traces', traces(1))).err!;
    assert.equal(unavailable.code, grpc.status.UNAVAILABLE);
    assert.equal(retryInfoDelayMs(unavailable.metadata), 1000, 'RetryInfo carries the default delay');
    h.answer = (e) => e.nack(new RetryableError('slow down', 2500, true));
    const throttled = (await call(h.grpcPort, 'traces', traces(1))).err!;
    assert.equal(throttled.code, grpc.status.RESOURCE_EXHAUSTED);
    // Without RetryInfo an OTLP client takes RESOURCE_EXHAUSTED as final; our own exporter is one.
    const seenByExporter = grpcError(throttled);
    assert.ok(seenByExporter instanceof RetryableError && seenByExporter.throttled, 'an upstream exporter retries the throttled request');
    assert.equal(seenByExporter.retryAfterMs, 2500);
    h.answer = (e) => e.nack(new PermanentError('bad'));
    const bad = await call(h.grpcPort, 'traces', traces(1));
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.err!.details, /bad/);
    assert.equal((await call(h.grpcPort, 'metrics', Buffer.alloc(0))).err?.code, grpc.status.UNIMPLEMENTED);
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_refused_spans\{receiver="otlp",transport="grpc"\} (\d+)/), 3);
  } finally {
    await h.close();
  }
});

test('include_metadata carries gRPC metadata into the envelope context', async () => {
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', include_metadata: true } });
  try {
    const md = new grpc.Metadata();
    md.set('X-Scope-OrgID', 'tenant-9');
    assert.equal((await call(h.grpcPort, 'traces', traces(1), { metadata: md })).err, undefined);
    assert.deepEqual(h.envelopes[0]!.context.metadata.get('x-scope-orgid'), ['tenant-9']);
  } finally {
    await h.close();
  }
});

test('TLS and mTLS: a client with a certificate from the configured CA gets in, one without does not', async () => {
  const pki = makeTestPki();
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', tls: { cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.ca } } });
  const channel = { 'grpc.ssl_target_name_override': 'sluice-test.local', 'grpc.default_authority': 'sluice-test.local' };
  try {
    const withCert = grpc.credentials.createSsl(readFileSync(pki.ca), readFileSync(pki.clientKey), readFileSync(pki.clientCert));
    assert.equal((await call(h.grpcPort, 'traces', traces(1), { credentials: withCert, channel })).err, undefined);
    const withoutCert = grpc.credentials.createSsl(readFileSync(pki.ca));
    const refused = await call(h.grpcPort, 'traces', traces(1), { credentials: withoutCert, channel });
    assert.equal(refused.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(h.envelopes.length, 1);
  } finally {
    await h.close();
    rmSync(pki.dir, { recursive: true, force: true });
  }
});

test('a permanent refusal of part of a request is answered OK with partial_success', async () => {
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
  try {
    h.answer = (e) => e.nack(new PermanentError('1 span too old', 1));
    const r = await call(h.grpcPort, 'traces', traces(4));
    assert.equal(r.err, undefined);
    assert.deepEqual(decodeExportResponse('traces', r.response!), { rejected: 1, errorMessage: '1 span too old' });
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_accepted_spans\{receiver="otlp",transport="grpc"\} (\d+)/), 3);
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_refused_spans\{receiver="otlp",transport="grpc"\} (\d+)/), 1);
  } finally {
    await h.close();
  }
});

test('message size, stream and keepalive settings map to grpc-js server options; the ping policy, which grpc-js cannot enforce, maps to nothing', () => {
  const config = otlpReceiverSchema.parse(
    {
      protocols: {
        grpc: {
          max_recv_msg_size_mib: 16,
          max_concurrent_streams: 100,
          keepalive: {
            server_parameters: { max_connection_idle: '11s', max_connection_age: '30s', max_connection_age_grace: '5s', time: '2h', timeout: '20s' },
            enforcement_policy: { min_time: '10s', permit_without_stream: true },
          },
        },
      },
    },
    { issues: [] },
  )!;
  assert.deepEqual(serverOptions(config.protocols.grpc!), {
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    'grpc.max_concurrent_streams': 100,
    'grpc.max_connection_idle_ms': 11_000,
    'grpc.max_connection_age_ms': 30_000,
    'grpc.max_connection_age_grace_ms': 5_000,
    'grpc.keepalive_time_ms': 7_200_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  const zero = otlpReceiverSchema.parse(
    {
      protocols: {
        grpc: {
          max_recv_msg_size_mib: 0,
          keepalive: { server_parameters: { max_connection_idle: 0, max_connection_age: 0, max_connection_age_grace: 0, time: 0, timeout: 0 } },
        },
      },
    },
    { issues: [] },
  )!;
  assert.deepEqual(
    serverOptions(zero.protocols.grpc!),
    { 'grpc.max_receive_message_length': 4 * 1024 * 1024, 'grpc.keepalive_time_ms': 7_200_000 },
    '0 means the default, as in the Collector and grpc-go, not "close at once"',
  );
});

test('shutdown refuses new calls, answers calls in flight, and cancels what outlives the deadline', async () => {
  const held: Envelope[] = [];
  const h = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
  h.answer = (e) => held.push(e);
  try {
    const first = call(h.grpcPort, 'traces', traces(1));
    await waitUntil(() => held.length === 1, 5000, () => 'the call to reach the pipeline');
    const stopping = h.receiver.shutdown(Date.now() + 60_000);
    assert.equal((await call(h.grpcPort, 'traces', traces(1))).err?.code, grpc.status.UNAVAILABLE);
    held[0]!.ack();
    assert.equal((await first).err, undefined);
    await stopping;

    const h2 = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
    h2.answer = (e) => held.push(e);
    const stuck = call(h2.grpcPort, 'traces', traces(1));
    await waitUntil(() => held.length === 2, 5000, () => 'the second call to reach the pipeline');
    await h2.receiver.shutdown(Date.now() + 50);
    assert.ok((await stuck).err, 'the call outliving the deadline fails');
    held[1]!.ack();
  } finally {
    await h.close();
  }
});

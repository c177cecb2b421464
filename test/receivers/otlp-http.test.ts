// OTLP/HTTP receiver: real HTTP clients (node:http and the OpenTelemetry SDK exporters), the
// malformed-input matrix, status mapping, compression, CORS, metadata and TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { gzipSync, deflateSync, deflateRawSync } from 'node:zlib';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { otlpCodecs, rpcStatusType, decodeExportResponse } from '../../src/codec/otlp-proto.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import type { TracesData } from '../../src/pdata/types.js';
import { otlpReceiverSchema } from '../../src/receivers/otlp/config.js';
import type { ConfigIssue } from '../../src/config/schema.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { makeTestPki } from '../helpers/tls.js';
import type { Envelope } from '../../src/pipeline/envelope.js';
import { waitUntil } from '../helpers/wait.js';
import { startReceiver, metricValue, metricReaches, sdkPayloads } from './harness.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function post(port: number, path: string, body: Uint8Array | string, headers: Record<string, string> = {}, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { 'content-type': 'application/x-protobuf', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The google.rpc.Status message of an error reply, in whichever encoding it came. */
function errorMessage(r: Reply): string {
  if (r.headers['content-type'] === 'application/json') return (JSON.parse(r.body.toString()) as { message: string }).message;
  return (rpcStatusType.decode(r.body) as unknown as { message: string }).message;
}

const spans = (n: number): TracesData =>
  ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] },
        scopeSpans: [{ spans: Array.from({ length: n }, (_, i) => ({ name: `s${i}`, traceId: new Uint8Array(16).fill(9), spanId: new Uint8Array(8).fill(i + 1) })) }],
      },
    ],
  }) as unknown as TracesData;
const proto = (n = 3) => otlpCodecs.traces.encode(spans(n));

test('protobuf, JSON, gzip and deflate bodies are accepted and answered in kind', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
  try {
    const ok = await post(h.httpPort, '/v1/traces', proto());
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'application/x-protobuf');
    assert.equal(decodeExportResponse('traces', ok.body), undefined, 'full success has no partial_success');

    const json = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'j', startTimeUnixNano: '1544712660000000000' }] }] }],
    });
    const jr = await post(h.httpPort, '/v1/traces', json, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(jr.status, 200);
    assert.equal(jr.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(jr.body.toString()), {});

    assert.equal((await post(h.httpPort, '/v1/traces', gzipSync(proto(2)), { 'content-encoding': 'gzip' })).status, 200);
    assert.equal((await post(h.httpPort, '/v1/traces', deflateSync(proto(2)), { 'content-encoding': 'deflate' })).status, 200);
    assert.equal((await post(h.httpPort, '/v1/traces', deflateRawSync(proto(2)), { 'content-encoding': 'deflate' })).status, 200);
    assert.deepEqual(h.envelopes.map((e) => e.items), [3, 1, 2, 2, 2]);
    assert.equal(h.envelopes[0]!.context.transport, 'http');
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_accepted_spans\{receiver="otlp",transport="http"\} (\d+)/), 10);
  } finally {
    await h.close();
  }
});

test('the OpenTelemetry SDK proto and JSON exporters deliver their spans', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
  try {
    for (const Exporter of [ProtoExporter, JsonExporter]) {
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new Exporter({ url: `http://127.0.0.1:${h.httpPort}/v1/traces` }))] });
      provider.getTracer('t').startSpan(`from-${Exporter === ProtoExporter ? 'proto' : 'json'}`).end();
      await provider.forceFlush();
      await provider.shutdown();
    }
    const names = h.envelopes.map((e) => (e.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name);
    assert.deepEqual(names, ['from-proto', 'from-json']);
  } finally {
    await h.close();
  }
});

test('every signal, serialized by the OpenTelemetry SDK as protobuf and as JSON, reaches its pipeline', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
  try {
    const payloads = await sdkPayloads();
    for (const p of payloads) {
      const pb = await post(h.httpPort, `/v1/${p.signal}`, p.proto);
      assert.equal(pb.status, 200, `${p.signal} protobuf: ${pb.body.toString()}`);
      const json = await post(h.httpPort, `/v1/${p.signal}`, p.json, { 'content-type': 'application/json' });
      assert.equal(json.status, 200, `${p.signal} JSON: ${json.body.toString()}`);
    }
    assert.deepEqual(
      h.envelopes.map((e) => [e.signal, e.items]),
      payloads.flatMap((p) => [[p.signal, p.items], [p.signal, p.items]]),
    );
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_accepted_metric_points\{receiver="otlp",transport="http"\} (\d+)/), 6);
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_accepted_log_records\{receiver="otlp",transport="http"\} (\d+)/), 8);
  } finally {
    await h.close();
  }
});

test('malformed input gets the right status and message, and the receiver keeps serving', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 1024 * 1024 } });
  try {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024));
    assert.ok(bomb.length < 1024 * 1024, 'the bomb itself is under the body limit');
    const cases: Array<[string, () => Promise<Reply>, number, RegExp]> = [
      ['garbage bytes', () => post(h.httpPort, '/v1/traces', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])), 400, /cannot decode traces request as protobuf/],
      ['truncated protobuf', () => post(h.httpPort, '/v1/traces', proto(5).subarray(0, 40)), 400, /cannot decode/],
      ['wrong content type', () => post(h.httpPort, '/v1/traces', 'x', { 'content-type': 'text/plain' }), 415, /unsupported content type "text\/plain"/],
      ['invalid JSON', () => post(h.httpPort, '/v1/traces', '{"resourceSpans": [', { 'content-type': 'application/json' }), 400, /cannot decode traces request as JSON/],
      ['gzip bomb', () => post(h.httpPort, '/v1/traces', bomb, { 'content-encoding': 'gzip' }), 413, /decompressed body larger than max_request_body_size/],
      ['oversize body', () => post(h.httpPort, '/v1/traces', Buffer.alloc(2 * 1024 * 1024)), 413, /request body larger than max_request_body_size/],
      ['broken gzip', () => post(h.httpPort, '/v1/traces', Buffer.from('not gzip'), { 'content-encoding': 'gzip' }), 400, /cannot decompress gzip body/],
      ['unknown encoding', () => post(h.httpPort, '/v1/traces', proto(), { 'content-encoding': 'br' }), 400, /unsupported Content-Encoding "br"/],
      ['wrong method', () => post(h.httpPort, '/v1/traces', '', {}, 'PUT'), 405, /method PUT not allowed/],
      ['unknown path', () => post(h.httpPort, '/v1/profiles', proto()), 404, /no OTLP endpoint at \/v1\/profiles/],
    ];
    for (const [name, send, status, message] of cases) {
      const r = await send();
      assert.equal(r.status, status, name);
      assert.match(errorMessage(r), message, name);
    }
    const json = await post(h.httpPort, '/v1/logs', '[1,2', { 'content-type': 'application/json' });
    assert.equal(json.status, 400);
    assert.equal(JSON.parse(json.body.toString()).code, 3, 'JSON errors carry a google.rpc.Status in JSON');

    const empty = await post(h.httpPort, '/v1/metrics', Buffer.alloc(0));
    assert.equal(empty.status, 200, 'an empty body is an empty request');
    assert.equal(h.envelopes.length, 0, 'nothing bad or empty entered the pipeline');
    assert.equal((await post(h.httpPort, '/v1/traces', proto())).status, 200, 'still serving');
    assert.ok((await metricValue(h.telemetry, /sluice_receiver_bad_requests\{receiver="otlp",transport="http",reason="undecodable"\} (\d+)/)) >= 4);
    assert.equal(await metricValue(h.telemetry, /sluice_receiver_bad_requests\{receiver="otlp",transport="http",reason="too_large"\} (\d+)/), 2);
  } finally {
    await h.close();
  }
});

test('pipeline refusals map to 503/429 with Retry-After and to 400', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
  try {
    h.answer = (e) => e.nack(new RetryableError('sending queue is full', 3000));
    const busy = await post(h.httpPort, '/v1/traces', proto());
    assert.equal(busy.status, 503);
    assert.equal(busy.headers['retry-after'], '3');
    assert.match((rpcStatusType.decode(busy.body) as unknown as { message: string }).message, /sending queue is full/);

    h.answer = (e) => e.nack(new RetryableError('slow down', undefined, true));
    const throttled = await post(h.httpPort, '/v1/traces', proto());
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['retry-after'], '1');

    h.answer = (e) => e.nack(new PermanentError('bad data'));
    assert.equal((await post(h.httpPort, '/v1/traces', proto())).status, 400);
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_refused_spans\{receiver="otlp",transport="http"\} (\d+)/), 9);
  } finally {
    await h.close();
  }
});

test('include_metadata carries request headers; signals without a pipeline are 404', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0', include_metadata: true } }, ['traces']);
  try {
    assert.equal((await post(h.httpPort, '/v1/traces', proto(), { 'X-Scope-OrgID': 'tenant-7' })).status, 200);
    assert.deepEqual(h.envelopes[0]!.context.metadata.get('x-scope-orgid'), ['tenant-7']);
    assert.equal((await post(h.httpPort, '/v1/logs', Buffer.alloc(0))).status, 404);
  } finally {
    await h.close();
  }
});

test('CORS preflight answers allowed origins only', async () => {
  const h = await startReceiver({
    http: { endpoint: '127.0.0.1:0', cors: { allowed_origins: ['https://*.example.com'], allowed_headers: ['X-Scope-OrgID'], max_age: 600 } },
  });
  try {
    const ok = await post(h.httpPort, '/v1/traces', '', { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-scope-orgid, x-secret' }, 'OPTIONS');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(ok.headers['access-control-allow-headers'], 'content-type, x-scope-orgid');
    assert.equal(ok.headers['access-control-max-age'], '600');
    const denied = await post(h.httpPort, '/v1/traces', '', { origin: 'https://evil.test', 'access-control-request-method': 'POST' }, 'OPTIONS');
    assert.equal(denied.headers['access-control-allow-origin'], undefined);
    const actual = await post(h.httpPort, '/v1/traces', proto(), { origin: 'https://app.example.com' });
    assert.equal(actual.headers['access-control-allow-origin'], 'https://app.example.com');
  } finally {
    await h.close();
  }
});

function postTls(port: number, options: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, servername: 'sluice-test.local', ...options },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(proto());
  });
}

test('TLS and mTLS: HTTPS with a freshly made certificate; with client_ca_file a client without a certificate is refused', async () => {
  const pki = makeTestPki();
  const ca = readFileSync(pki.ca);
  const tls = await startReceiver({ http: { endpoint: '127.0.0.1:0', tls: { cert_file: pki.serverCert, key_file: pki.serverKey } } });
  const mtls = await startReceiver({ http: { endpoint: '127.0.0.1:0', tls: { cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.ca } } });
  try {
    assert.equal(await postTls(tls.httpPort, { ca }), 200);
    assert.equal(await postTls(mtls.httpPort, { ca, cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) }), 200);
    await assert.rejects(postTls(mtls.httpPort, { ca }), /certificate|handshake|socket hang up|ECONNRESET/i);
    assert.deepEqual([tls.envelopes.length, mtls.envelopes.length], [1, 1]);
  } finally {
    await Promise.all([tls.close(), mtls.close()]);
    rmSync(pki.dir, { recursive: true, force: true });
  }
});

test('a permanent refusal of part of a request is a partial success, in protobuf and in JSON', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
  try {
    h.answer = (e) => e.nack(new PermanentError('2 spans too old', 2));
    const pb = await post(h.httpPort, '/v1/traces', proto(3));
    assert.equal(pb.status, 200);
    assert.deepEqual(decodeExportResponse('traces', pb.body), { rejected: 2, errorMessage: '2 spans too old' });

    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [1, 2, 3].map((i) => ({ traceId: '5b8efff798038103d269b633813fc60c', spanId: `eee19b7ec3c1b17${i}`, name: 'j' })) }] }] });
    const json = await post(h.httpPort, '/v1/traces', body, { 'content-type': 'application/json' });
    assert.equal(json.status, 200);
    assert.deepEqual(JSON.parse(json.body.toString()), { partialSuccess: { rejectedSpans: '2', errorMessage: '2 spans too old' } });

    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_accepted_spans\{receiver="otlp",transport="http"\} (\d+)/), 2);
    assert.equal(await metricValue(h.telemetry, /otelcol_receiver_refused_spans\{receiver="otlp",transport="http"\} (\d+)/), 4);
  } finally {
    await h.close();
  }
});

test('a client that disconnects mid-body is counted once, leaves nothing pending, and the receiver keeps serving', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(h.httpPort, '127.0.0.1', () => {
        socket.write('POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n');
        socket.write(Buffer.alloc(1000), () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', reject);
    });
    const aborted = /sluice_receiver_bad_requests\{receiver="otlp",transport="http",reason="aborted"\} (\d+)/;
    assert.equal(await metricReaches(h.telemetry, aborted, 1), 1, 'the half-read request settled as aborted');
    assert.equal(h.envelopes.length, 0);
    assert.equal((await post(h.httpPort, '/v1/traces', proto())).status, 200);
  } finally {
    await h.close();
  }
});

test('bad requests are logged at debug by reason, without header values or payload', async () => {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0', include_metadata: true } }, undefined, logger);
  try {
    const r = await post(h.httpPort, '/v1/traces', 'payload-secret', { 'content-type': 'text/header-secret', 'x-scope-orgid': 'tenant-secret' });
    assert.equal(r.status, 415);
    assert.equal((await post(h.httpPort, '/v1/traces', '{"payload-secret": ', { 'content-type': 'application/json' })).status, 400);
    const rejected = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'rejected OTLP/HTTP request');
    assert.deepEqual(
      rejected.map((l) => [l.level, l.reason, l.status, l.path]),
      [
        ['debug', 'unsupported_media_type', 415, '/v1/traces'],
        ['debug', 'undecodable', 400, '/v1/traces'],
      ],
    );
    assert.doesNotMatch(lines.join('\n'), /secret/);
  } finally {
    await h.close();
  }
});

test('config: no protocol is an error; unknown keys are named', () => {
  const ctx = { issues: [] as ConfigIssue[] };
  otlpReceiverSchema.parse({ protocols: {} }, ctx, ['receivers', 'otlp']);
  otlpReceiverSchema.parse({ protocols: { http: { endpoint: '0.0.0.0:4318', max_body: 1 } } }, ctx, ['receivers', 'otlp']);
  const text = ctx.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
  assert.match(text, /receivers\.otlp: at least one of protocols\.grpc or protocols\.http must be configured/);
  assert.match(text, /receivers\.otlp\.protocols\.http\.max_body: unknown key "max_body"/);
});

test('an oversize chunked body (no Content-Length) is refused with 413 after reading only the limit', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 64 * 1024 } });
  try {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: h.httpPort, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write(Buffer.alloc(32 * 1024));
      req.end();
    });
    assert.equal(reply.status, 413);
    assert.match(errorMessage(reply), /request body larger than max_request_body_size \(65536 bytes\)/);
    assert.equal((await post(h.httpPort, '/v1/traces', proto())).status, 200);
  } finally {
    await h.close();
  }
});

test('max_request_body_size 0 means the 20 MiB default, as in the Collector', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 0 } });
  try {
    const body = proto(40_000);
    assert.ok(body.length > 1024 * 1024);
    assert.equal((await post(h.httpPort, '/v1/traces', body)).status, 200);
    assert.equal((await post(h.httpPort, '/v1/traces', Buffer.alloc(21 * 1024 * 1024))).status, 413);
  } finally {
    await h.close();
  }
});

test('url paths are configurable per signal', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0', traces_url_path: '/otlp/v1/traces' } });
  try {
    assert.equal((await post(h.httpPort, '/otlp/v1/traces', proto(2))).status, 200);
    assert.equal((await post(h.httpPort, '/v1/traces', proto(2))).status, 404);
    assert.equal(h.envelopes.length, 1);
  } finally {
    await h.close();
  }
});

test('shutdown refuses new connections, answers requests in flight, and cuts what outlives the deadline', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
  const held: Envelope[] = [];
  h.answer = (e) => held.push(e);
  try {
    const first = post(h.httpPort, '/v1/traces', proto());
    await waitUntil(() => held.length === 1, 5000, () => 'the request to reach the pipeline');
    const stopping = h.receiver.shutdown(Date.now() + 60_000);
    await assert.rejects(post(h.httpPort, '/v1/traces', proto()), /ECONNREFUSED/);
    held[0]!.ack();
    const answered = await first;
    assert.equal(answered.status, 200);
    assert.equal(answered.headers.connection, 'close', 'a keep-alive client is told not to reuse the connection');
    await stopping;

    const h2 = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    h2.answer = (e) => held.push(e);
    const stuck = post(h2.httpPort, '/v1/traces', proto());
    await waitUntil(() => held.length === 2, 5000, () => 'the second request to reach the pipeline');
    await h2.receiver.shutdown(Date.now() + 50);
    await assert.rejects(stuck, /socket hang up|ECONNRESET/);
    held[1]!.ack();
  } finally {
    await h.close();
  }
});

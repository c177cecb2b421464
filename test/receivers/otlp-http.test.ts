// OTLP/HTTP receiver: real HTTP clients (node:http and the OpenTelemetry SDK exporters), the
// malformed-input matrix, status mapping, compression, CORS, metadata and TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync, deflateSync, deflateRawSync } from 'node:zlib';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { otlpCodecs, rpcStatusType, decodeExportResponse } from '../../src/codec/otlp-proto.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import type { TracesData } from '../../src/pdata/types.js';
import { otlpReceiverSchema } from '../../src/receivers/otlp/config.js';
import type { ConfigIssue } from '../../src/config/schema.js';
import { startReceiver, metricValue } from './harness.js';

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

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

test('TLS: HTTPS with the configured certificate', async () => {
  const h = await startReceiver({ http: { endpoint: '127.0.0.1:0', tls: { cert_file: `${TLS_DIR}server.pem`, key_file: `${TLS_DIR}server-key.pem` } } });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: h.httpPort, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, ca: readFileSync(`${TLS_DIR}ca.pem`), servername: 'sluice-test.local' },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(proto());
    });
    assert.equal(status, 200);
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

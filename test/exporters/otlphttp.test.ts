// The otlphttp exporter against a node:http server: encodings, compression, headers, URLs and
// the OTLP/HTTP status mapping (retryable with Retry-After, permanent with the Status message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { encodeExportResponse, encodeRpcStatus, otlpCodecs } from '../../src/codec/otlp-proto.js';
import { decodeOtlpJson, encodeOtlpJson } from '../../src/codec/otlp-json.js';
import { otlpHttpExporterFactory } from '../../src/exporters/otlphttp/factory.js';
import { signalUrl, type OtlpHttpExporterConfig } from '../../src/exporters/otlphttp/config.js';
import { isRetryableStatus, retryAfterMs, throwUnlessOk } from '../../src/exporters/http-post.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import type { ConfigIssue } from '../../src/config/schema.js';
import { SIGNALS, type Signal } from '../../src/pdata/types.js';
import { countItems, ITEM_NAME } from '../../src/pdata/count.js';
import { startExporter, submit } from '../helpers/exporter-harness.js';
import { waitUntil } from '../helpers/wait.js';
import { startRecordingServer, type RecordingServer, type Reply } from '../helpers/recording-server.js';
import { sample, sampleBytes } from '../helpers/samples.js';

interface Request {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as sent (possibly compressed). */
  raw: Buffer;
  /** The body after undoing Content-Encoding. */
  body: Buffer;
}

const okReply = (r: Request): Reply => {
  const signal = SIGNALS.find((s) => r.path.endsWith(s)) ?? 'traces';
  return { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: encodeExportResponse(signal) };
};

function startBackend(): Promise<RecordingServer<Request>> {
  const record = (req: http.IncomingMessage, raw: Buffer): Request => ({ path: req.url ?? '', headers: req.headers, raw, body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw });
  return startRecordingServer(record, okReply);
}

const start = (signal: Signal, config: Record<string, unknown>) => startExporter(otlpHttpExporterFactory, 'otlphttp/test', signal, config);

test('proto encoding: each signal arrives byte-identical at /v1/<signal>, gzip-compressed, with the configured headers', async () => {
  const backend = await startBackend();
  try {
    for (const signal of SIGNALS) {
      const { clock, exporter, counter } = await start(signal, { endpoint: backend.url, headers: { 'X-Scope-OrgID': 'tenant-a' } });
      submit(exporter, signal, sample(signal));
      await waitUntil(() => backend.requests.some((r) => r.path === `/v1/${signal}`), 10_000, () => `${signal} not received`);
      await exporter.shutdown(clock.now() + 5000);
      const r = backend.requests.find((x) => x.path === `/v1/${signal}`)!;
      assert.equal(r.headers['content-type'], 'application/x-protobuf');
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.equal(r.headers['x-scope-orgid'], 'tenant-a');
      assert.ok(!r.raw.equals(r.body), 'the wire body is compressed');
      assert.ok(r.body.equals(sampleBytes(signal)), `${signal} arrives byte-identical`);
      assert.equal(await counter(`otelcol_exporter_sent_${ITEM_NAME[signal]}`), countItems(signal, sample(signal)));
    }
  } finally {
    await backend.close();
  }
});

test('json encoding: each signal arrives as the OTLP/JSON of the batch and decodes to the same data', async () => {
  const backend = await startBackend();
  try {
    for (const signal of SIGNALS) {
      const { clock, exporter, logs } = await start(signal, { endpoint: backend.url, encoding: 'json', compression: 'none' });
      submit(exporter, signal, sample(signal));
      await waitUntil(
        () => backend.requests.some((r) => r.path === `/v1/${signal}`),
        10_000,
        () => `${signal} not received; errors: ${JSON.stringify(logs.lines.filter((l) => l.level === 'error').map((l) => l.error))}`,
      );
      await exporter.shutdown(clock.now() + 5000);
      const r = backend.requests.find((x) => x.path === `/v1/${signal}`)!;
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['content-encoding'], undefined, 'compression: none sends the body as is');
      assert.equal(r.body.toString('utf8'), encodeOtlpJson(signal, sample(signal)));
      const codec = otlpCodecs[signal] as unknown as { encode(d: unknown): Uint8Array };
      assert.ok(Buffer.from(codec.encode(decodeOtlpJson(signal, r.body))).equals(sampleBytes(signal)), `${signal} content survives OTLP/JSON`);
    }
  } finally {
    await backend.close();
  }
});

test('503 with Retry-After is retried after the server’s delay', async () => {
  const backend = await startBackend();
  try {
    backend.answer = (r) => (backend.requests.length === 1 ? { status: 503, headers: { 'retry-after': '7' } } : okReply(r));
    const { clock, logs, exporter, counter } = await start('traces', {
      endpoint: backend.url,
      retry_on_failure: { initial_interval: '1s', randomization_factor: 0 },
    });
    submit(exporter, 'traces', sample('traces'));
    await waitUntil(() => logs.lines.some((l) => l.msg === 'Exporting failed, will retry'), 10_000, () => 'no retry logged');
    const retry = logs.lines.find((l) => l.msg === 'Exporting failed, will retry')!;
    assert.equal(retry.interval_ms, 7000);
    assert.match(String(retry.error), /HTTP 503/);
    await clock.advance(6999);
    assert.equal(backend.requests.length, 1);
    await clock.advance(1);
    await waitUntil(() => backend.requests.length === 2, 10_000, () => 'retry not received');
    await exporter.shutdown(clock.now() + 5000);
    assert.equal(await counter('otelcol_exporter_sent_spans'), 2);
    assert.ok(backend.requests[1]!.body.equals(backend.requests[0]!.body));
  } finally {
    await backend.close();
  }
});

test('400 is permanent and carries the google.rpc.Status message, from a protobuf or a JSON body', async () => {
  const backend = await startBackend();
  try {
    const bodies: Reply[] = [
      { status: 400, headers: { 'content-type': 'application/x-protobuf' }, body: encodeRpcStatus(3, 'invalid span id length') },
      { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 3, message: 'unknown field "foo"' }) },
    ];
    for (const [i, reply] of bodies.entries()) {
      backend.answer = () => reply;
      const { clock, exporter, counter } = await start('logs', { endpoint: backend.url, sending_queue: { enabled: false } });
      const outcome = submit(exporter, 'logs', sample('logs'));
      await waitUntil(() => outcome.state !== 'pending', 10_000, () => 'not settled');
      await clock.advance(600_000);
      await exporter.shutdown(clock.now() + 5000);
      assert.equal(outcome.state, 'nacked');
      assert.ok(outcome.error instanceof PermanentError);
      assert.equal(outcome.error.message, i === 0 ? 'HTTP 400: invalid span id length' : 'HTTP 400: unknown field "foo"');
      assert.equal(await counter('otelcol_exporter_send_failed_log_records'), 1);
    }
    assert.equal(backend.requests.length, 2, 'neither was retried');
  } finally {
    await backend.close();
  }
});

test('per-signal endpoints are used as they are; the base endpoint gets /v1/<signal> appended', async () => {
  const backend = await startBackend();
  try {
    const config = { endpoint: `${backend.url}/prefix/`, traces_endpoint: `${backend.url}/custom/spans` };
    for (const signal of ['traces', 'metrics'] as const) {
      const { clock, exporter } = await start(signal, config);
      submit(exporter, signal, sample(signal));
      await waitUntil(() => backend.requests.length > 0, 10_000, () => `${signal} not received`);
      await exporter.shutdown(clock.now() + 5000);
    }
    assert.deepEqual(
      backend.requests.map((r) => r.path),
      ['/custom/spans', '/prefix/v1/metrics'],
    );
  } finally {
    await backend.close();
  }
});

test('a partial success in a JSON reply is logged with the rejected count', async () => {
  const backend = await startBackend();
  try {
    backend.answer = () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partialSuccess: { rejectedDataPoints: '2', errorMessage: 'out of order' } }),
    });
    const { clock, logs, exporter } = await start('metrics', { endpoint: backend.url });
    submit(exporter, 'metrics', sample('metrics'));
    await waitUntil(() => logs.lines.some((l) => l.level === 'warn'), 10_000, () => 'no warning');
    await exporter.shutdown(clock.now() + 5000);
    const warning = logs.lines.find((l) => l.level === 'warn')!;
    assert.equal(warning.rejected, 2);
    assert.equal(warning.message, 'out of order');
  } finally {
    await backend.close();
  }
});

test('Retry-After accepts delay-seconds and HTTP dates', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs('Wed, 01 May 2024 10:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Wed, 01 May 2024 09:00:00 GMT', now), 0);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(undefined, now), undefined);
});

test('the one retryable-status rule: the OTLP/HTTP set by default, every 5xx where a protocol asks for it', () => {
  const retried = (anyServerError: boolean) => [400, 404, 408, 413, 429, 500, 501, 502, 503, 504, 507].filter((status) => isRetryableStatus(status, anyServerError));
  assert.deepEqual(retried(false), [429, 502, 503, 504]);
  assert.deepEqual(retried(true), [429, 500, 501, 502, 503, 504, 507]);
  const reply = (status: number, headers: Record<string, string> = {}, body = '') => ({ status, headers, body: Buffer.from(body) });
  assert.doesNotThrow(() => throwUnlessOk(reply(204)));
  assert.throws(
    () => throwUnlessOk(reply(429, { 'retry-after': '7' }, ' slow down ')),
    (err: unknown) => err instanceof RetryableError && err.message === 'HTTP 429: slow down' && err.retryAfterMs === 7000 && err.throttled,
  );
  assert.throws(() => throwUnlessOk(reply(500, {}, 'oops')), (err: unknown) => err instanceof PermanentError && err.message === 'HTTP 500: oops');
  assert.throws(() => throwUnlessOk(reply(500), { anyServerError: true }), (err: unknown) => err instanceof RetryableError && err.message === 'HTTP 500' && !err.throttled);
  assert.throws(() => throwUnlessOk(reply(403, {}, 'raw'), { detail: 'forbidden', hint: ' (check the key)' }), /^PermanentError: HTTP 403: forbidden \(check the key\)$/);
});

test('config: an endpoint is required, URLs must be http(s), and signal URLs compose like the Collector', () => {
  const missing = { issues: [] as ConfigIssue[] };
  otlpHttpExporterFactory.schema.parse({ encoding: 'proto' }, missing);
  assert.match(missing.issues[0]?.message ?? '', /either "endpoint" or a per-signal endpoint/);
  const badScheme = { issues: [] as ConfigIssue[] };
  otlpHttpExporterFactory.schema.parse({ endpoint: 'tempo:4318' }, badScheme);
  assert.match(badScheme.issues[0]?.message ?? '', /http:\/\/ or https:\/\/ URL/);
  const config = otlpHttpExporterFactory.schema.parse({ endpoint: 'https://otlp.example.com:4318' }, { issues: [] }) as OtlpHttpExporterConfig;
  assert.equal(signalUrl(config, 'logs').href, 'https://otlp.example.com:4318/v1/logs');
  assert.equal(config.timeout, 30_000, 'the HTTP client default timeout');
  assert.equal(config.compression, 'gzip');
});

test('https: the server certificate is verified against tls.ca_file and tls.server_name_override', async () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
  const received: string[] = [];
  const server = https.createServer({ cert: readFileSync(fixture('server.pem')), key: readFileSync(fixture('server-key.pem')) }, (req, res) => {
    received.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const trusted = await start('traces', { endpoint, tls: { ca_file: fixture('ca.pem'), server_name_override: 'sluice-test.local' }, sending_queue: { enabled: false } });
    const ok = submit(trusted.exporter, 'traces', sample('traces'));
    await waitUntil(() => ok.state !== 'pending', 10_000, () => 'not settled');
    await trusted.exporter.shutdown(trusted.clock.now() + 5000);
    assert.equal(ok.state, 'acked', ok.error?.message);
    assert.deepEqual(received, ['/v1/traces']);

    const mismatched = await start('traces', {
      endpoint,
      tls: { ca_file: fixture('ca.pem') },
      sending_queue: { enabled: false },
      retry_on_failure: { enabled: false },
    });
    const refused = submit(mismatched.exporter, 'traces', sample('traces'));
    await waitUntil(() => refused.state !== 'pending', 10_000, () => 'not settled');
    await mismatched.exporter.shutdown(mismatched.clock.now() + 5000);
    assert.equal(refused.state, 'nacked');
    assert.match(refused.error!.message, /altnames|certificate/i, 'the host name does not match the certificate');
    assert.equal(received.length, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

// jaeger: the same OTLP spans sent over gRPC (a PostSpans server in the test, the request decoded
// with the api_v2 proto) and over Thrift HTTP (the body decoded by the independent thriftrw
// package from Jaeger's IDL), every field asserted; retries, permanent refusals, resuming a
// multi-resource batch, TLS and config checks for both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import Long from 'long';
import { jaegerExporterFactory } from '../../src/exporters/jaeger/factory.js';
import { loadProtos } from '../../src/codec/proto-root.js';
import { PermanentError } from '../../src/pipeline/errors.js';
import { toJaegerBatches } from '../../src/exporters/jaeger/model.js';
import { encodePostSpans } from '../../src/exporters/jaeger/proto.js';
import { encodeThriftBatch } from '../../src/exporters/jaeger/thrift.js';
import { receiverContext } from '../../src/pipeline/envelope.js';
import type { KeyValue, TracesData } from '../../src/pdata/types.js';
import { settleWithRetries, startExporter, submit, type ExporterHarness } from '../helpers/exporter-harness.js';
import { waitUntil } from '../helpers/wait.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
const serverTls = () => ({ cert: readFileSync(fixture('server.pem')), key: readFileSync(fixture('server-key.pem')) });
/** The test certificate is for sluice-test.local, so the loopback address only verifies under this override. */
const clientTls = { ca_file: fixture('ca.pem'), server_name_override: 'sluice-test.local' };
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const kv = (key: string, value: KeyValue['value']): KeyValue => ({ key, value });
const START_NS = 1_700_000_000_123_456_789n;
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const BIG = Long.fromString('9007199254740993'); // 2^53 + 1: must survive exactly

const traces = (): TracesData => ({
  resourceSpans: [
    {
      resource: { attributes: [kv('service.name', { stringValue: 'checkout' }), kv('host.name', { stringValue: 'node-7' }), kv('process.pid', { intValue: 42 })] },
      scopeSpans: [
        {
          scope: { name: 'express', version: '4.18', attributes: [] },
          spans: [
            {
              traceId: hex(TRACE),
              spanId: hex('b7ad6b7169203331'),
              parentSpanId: hex('00f067aa0ba902b7'),
              traceState: 'vendor=x',
              name: 'GET /cart',
              kind: 2,
              startTimeUnixNano: Long.fromString(START_NS.toString(), true),
              endTimeUnixNano: Long.fromString((START_NS + 2_500_789n).toString(), true),
              attributes: [
                kv('http.route', { stringValue: '/cart' }),
                kv('note', { stringValue: 'naïve ☕ 🚀' }),
                kv('cache.hit', { boolValue: false }),
                kv('big', { intValue: BIG }),
                kv('ratio', { doubleValue: 0.25 }),
                kv('blob', { bytesValue: hex('cafe') }),
                kv('list', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } }),
                kv('map', { kvlistValue: { values: [kv('k', { stringValue: 'v' })] } }),
                kv('error', { stringValue: 'overridden by the status' }),
              ],
              droppedAttributesCount: 3,
              droppedEventsCount: 4,
              droppedLinksCount: 5,
              events: [
                { timeUnixNano: Long.fromString((START_NS + 1000n).toString(), true), name: 'cache miss', attributes: [kv('key', { stringValue: 'cart:7' })], droppedAttributesCount: 2 },
                { timeUnixNano: Long.fromString((START_NS + 2000n).toString(), true), name: 'ignored', attributes: [kv('event', { stringValue: 'retry' }), kv('attempt', { intValue: -1 })] },
                { timeUnixNano: Long.fromString((START_NS + 2999n).toString(), true), name: '', attributes: [] },
              ],
              links: [{ traceId: hex('11111111111111112222222222222222'), spanId: hex('3333333333333333'), attributes: [kv('dropped', { stringValue: 'yes' })] }],
              status: { code: 2, message: 'boom' },
            },
            {
              traceId: hex(TRACE),
              spanId: hex('00f067aa0ba902b7'),
              name: 'root',
              kind: 1,
              startTimeUnixNano: Long.fromString(START_NS.toString(), true),
              endTimeUnixNano: Long.fromString((START_NS + 3_000_000_007n).toString(), true),
              attributes: [],
              events: [],
              links: [],
              status: { code: 1 },
            },
          ],
        },
      ],
    },
    { resource: { attributes: [] }, scopeSpans: [{ spans: [{ traceId: hex(TRACE), spanId: hex('4444444444444444'), name: 'anonymous', attributes: [], events: [], links: [] }] }] },
  ],
});

/** What both decoders are normalised to, so one expectation checks both wire formats. */
interface Tag {
  key: string;
  type: string;
  value: string | number | boolean;
}
const tag = (key: string, type: string, value: string | number | boolean): Tag => ({ key, type, value });

const EXPECTED_SPAN_TAGS: Tag[] = [
  tag('http.route', 'string', '/cart'),
  tag('note', 'string', 'naïve ☕ 🚀'),
  tag('cache.hit', 'bool', false),
  tag('big', 'int64', '9007199254740993'),
  tag('ratio', 'float64', 0.25),
  tag('blob', 'binary', 'cafe'),
  tag('list', 'string', '["a",2]'),
  tag('map', 'string', '{"k":"v"}'),
  tag('span.kind', 'string', 'server'),
  tag('otel.status_code', 'string', 'ERROR'),
  tag('error', 'bool', true),
  tag('otel.status_description', 'string', 'boom'),
  tag('otel.scope.name', 'string', 'express'),
  tag('otel.scope.version', 'string', '4.18'),
  tag('w3c.tracestate', 'string', 'vendor=x'),
  tag('otel.dropped_attributes_count', 'int64', '3'),
  tag('otel.dropped_events_count', 'int64', '4'),
  tag('otel.dropped_links_count', 'int64', '5'),
];

/** Event times as offsets from START_NS (ns) and as Thrift's truncated µs; an `event` attribute beats the name. */
const EXPECTED_LOGS = [
  { offsetNs: 1000, us: 1_700_000_000_123_457n, fields: [tag('event', 'string', 'cache miss'), tag('key', 'string', 'cart:7'), tag('otel.dropped_attributes_count', 'int64', '2')] },
  { offsetNs: 2000, us: 1_700_000_000_123_458n, fields: [tag('event', 'string', 'retry'), tag('attempt', 'int64', '-1')] },
  { offsetNs: 2999, us: 1_700_000_000_123_459n, fields: [] },
];

// ---- gRPC ----
const collectorRoot = loadProtos(['jaeger/api_v2/collector.proto']);
const PostSpansRequest = collectorRoot.lookupType('jaeger.api_v2.PostSpansRequest');
const VALUE_TYPES = ['string', 'bool', 'int64', 'float64', 'binary'];

interface ProtoKv {
  key: string;
  vType: number;
  vStr: string;
  vBool: boolean;
  vInt64: string;
  vFloat64: number;
  vBinary: Buffer;
}
function protoTag(t: ProtoKv): Tag {
  const type = VALUE_TYPES[t.vType]!;
  const value = { string: t.vStr, bool: t.vBool, int64: t.vInt64, float64: t.vFloat64, binary: Buffer.from(t.vBinary).toString('hex') }[type]!;
  return tag(t.key, type, value);
}

async function startCollector(answers: grpc.status[] = [], credentials = grpc.ServerCredentials.createInsecure()) {
  const requests: { metadata: grpc.Metadata; body: Record<string, unknown> }[] = [];
  const server = new grpc.Server();
  const raw = (b: Buffer) => b;
  server.addService(
    { PostSpans: { path: '/jaeger.api_v2.CollectorService/PostSpans', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
    {
      PostSpans: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const body = PostSpansRequest.toObject(PostSpansRequest.decode(call.request), { longs: String, enums: Number, defaults: true, bytes: Buffer }) as Record<string, unknown>;
        requests.push({ metadata: call.metadata, body });
        const code = answers.shift();
        if (code !== undefined && code !== grpc.status.OK) callback({ code, details: `answered ${grpc.status[code]}` });
        else callback(null, Buffer.alloc(0));
      },
    } as grpc.UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return { port, requests, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

async function deliver(h: ExporterHarness, data: TracesData): Promise<void> {
  const outcome = submit(h.exporter, 'traces', data, receiverContext('otlp'));
  await waitUntil(() => outcome.state !== 'pending', 10_000, () => 'the export to settle');
  if (outcome.state === 'nacked') throw outcome.error!;
}

test('grpc: one PostSpans per resource with process, ids, times, references, typed tags and logs', async () => {
  const collector = await startCollector();
  const h = await startExporter(jaegerExporterFactory, 'jaeger', 'traces', { endpoint: `127.0.0.1:${collector.port}`, tls: { insecure: true }, headers: { 'X-Tenant': 'acme' }, sending_queue: { enabled: false } });
  try {
    await deliver(h, traces());
    assert.equal(collector.requests.length, 2);
    assert.deepEqual(collector.requests[0]!.metadata.get('x-tenant'), ['acme']);
    type ProtoSpan = { traceId: Buffer; spanId: Buffer; operationName: string; references: Array<{ traceId: Buffer; spanId: Buffer; refType: number }>; flags: number; startTime: { seconds: string; nanos: number }; duration: { seconds: string; nanos: number }; tags: ProtoKv[]; logs: Array<{ timestamp: { seconds: string; nanos: number }; fields: ProtoKv[] }> };
    const batch = collector.requests[0]!.body.batch as { process: { serviceName: string; tags: ProtoKv[] }; spans: ProtoSpan[] };
    assert.equal(batch.process.serviceName, 'checkout');
    assert.deepEqual(batch.process.tags.map(protoTag), [tag('host.name', 'string', 'node-7'), tag('process.pid', 'int64', '42')]);
    const [span, root] = batch.spans;
    assert.equal(span!.traceId.toString('hex'), TRACE);
    assert.equal(span!.spanId.toString('hex'), 'b7ad6b7169203331');
    assert.equal(span!.operationName, 'GET /cart');
    assert.deepEqual(
      span!.references.map((r) => [r.refType, r.traceId.toString('hex'), r.spanId.toString('hex')]),
      [
        [0, TRACE, '00f067aa0ba902b7'],
        [1, '11111111111111112222222222222222', '3333333333333333'],
      ],
    );
    assert.equal(span!.flags, 1);
    assert.deepEqual(span!.startTime, { seconds: '1700000000', nanos: 123_456_789 });
    assert.deepEqual(span!.duration, { seconds: '0', nanos: 2_500_789 });
    assert.deepEqual(span!.tags.map(protoTag), EXPECTED_SPAN_TAGS);
    assert.deepEqual(
      span!.logs.map((l) => ({ t: l.timestamp, f: l.fields.map(protoTag) })),
      EXPECTED_LOGS.map((l) => ({ t: { seconds: '1700000000', nanos: 123_456_789 + l.offsetNs }, f: l.fields })),
    );
    assert.deepEqual(root!.references, [], 'a root span has no CHILD_OF');
    assert.deepEqual(root!.duration, { seconds: '3', nanos: 7 });
    assert.deepEqual(root!.tags.map(protoTag), [tag('span.kind', 'string', 'internal'), tag('otel.status_code', 'string', 'OK'), tag('otel.scope.name', 'string', 'express'), tag('otel.scope.version', 'string', '4.18')]);
    const anonymous = collector.requests[1]!.body.batch as { process: { serviceName: string } };
    assert.equal(anonymous.process.serviceName, 'unknown_service');
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await collector.close();
  }
});

test('grpc: UNAVAILABLE is retried, INVALID_ARGUMENT is permanent and counted', async () => {
  const collector = await startCollector([grpc.status.UNAVAILABLE, grpc.status.OK, grpc.status.INVALID_ARGUMENT]);
  const h = await startExporter(jaegerExporterFactory, 'jaeger', 'traces', {
    endpoint: `127.0.0.1:${collector.port}`,
    tls: { insecure: true },
    sending_queue: { enabled: false },
    retry_on_failure: { initial_interval: '1s', randomization_factor: 0 },
  });
  const single = (): TracesData => ({ resourceSpans: [traces().resourceSpans[0]!] });
  try {
    const outcome = submit(h.exporter, 'traces', single(), receiverContext('otlp'));
    await settleWithRetries(h, outcome, 500);
    assert.equal(outcome.state, 'acked');
    assert.equal(collector.requests.length, 2);
    await assert.rejects(deliver(h, single()), /gRPC INVALID_ARGUMENT: answered INVALID_ARGUMENT/);
    assert.equal(collector.requests.length, 3, 'not retried');
    assert.equal(await h.counter('otelcol_exporter_send_failed_spans'), 2);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await collector.close();
  }
});

// ---- Thrift over HTTP ----
const { Thrift } = createRequire(import.meta.url)('thriftrw') as { Thrift: new (o: { source: string; strict: boolean }) => { getType(name: string): { fromBuffer(b: Buffer): unknown } } };
const jaegerIdl = new Thrift({ source: readFileSync(fileURLToPath(new URL('../fixtures/jaeger.thrift', import.meta.url)), 'utf8'), strict: false });
const ThriftBatch = jaegerIdl.getType('Batch');
// thriftrw hands enums over by name.
const TAG_TYPES: Record<string, string> = { STRING: 'string', DOUBLE: 'float64', BOOL: 'bool', LONG: 'int64', BINARY: 'binary' };

interface ThriftTag {
  key: string;
  vType: string;
  vStr: string | null;
  vDouble: number | null;
  vBool: boolean | null;
  vLong: Buffer | null;
  vBinary: Buffer | null;
}
const i64 = (b: Buffer) => b.readBigInt64BE(0);
function thriftTag(t: ThriftTag): Tag {
  const type = TAG_TYPES[t.vType]!;
  const value = { string: t.vStr, float64: t.vDouble, bool: t.vBool, int64: t.vLong && i64(t.vLong).toString(), binary: t.vBinary?.toString('hex') }[type]!;
  return tag(t.key, type, value);
}

async function startThriftCollector(statuses: number[] = [], tls?: { cert: Buffer; key: Buffer }) {
  const requests: { headers: IncomingHttpHeaders; path?: string; body: Buffer }[] = [];
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, path: req.url, body: Buffer.concat(chunks) });
      const status = statuses.shift() ?? 202;
      res.writeHead(status).end(status === 400 ? 'Unable to process request body: bad batch' : '');
    });
  };
  const server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/api/traces`, requests, close };
}

test('thrift_http: a binary-protocol Batch per resource, decoded with thriftrw from the Jaeger IDL', async () => {
  const collector = await startThriftCollector();
  const h = await startExporter(jaegerExporterFactory, 'jaeger', 'traces', { protocol: 'thrift_http', endpoint: collector.url, headers: { 'X-Tenant': 'acme' }, sending_queue: { enabled: false } });
  try {
    await deliver(h, traces());
    assert.equal(collector.requests.length, 2);
    const { headers, path, body } = collector.requests[0]!;
    assert.equal(headers['content-type'], 'application/x-thrift');
    assert.equal(headers['x-tenant'], 'acme');
    assert.equal(path, '/api/traces');
    type TSpan = { traceIdLow: Buffer; traceIdHigh: Buffer; spanId: Buffer; parentSpanId: Buffer; operationName: string; references: Array<{ refType: string; traceIdLow: Buffer; traceIdHigh: Buffer; spanId: Buffer }> | null; flags: number; startTime: Buffer; duration: Buffer; tags: ThriftTag[]; logs: Array<{ timestamp: Buffer; fields: ThriftTag[] }> | null };
    const batch = ThriftBatch.fromBuffer(body) as { process: { serviceName: string; tags: ThriftTag[] }; spans: TSpan[] };
    assert.equal(batch.process.serviceName, 'checkout');
    assert.deepEqual(batch.process.tags.map(thriftTag), [tag('host.name', 'string', 'node-7'), tag('process.pid', 'int64', '42')]);
    const [span, root] = batch.spans;
    // The 128-bit trace id split into signed high and low halves.
    assert.equal(i64(span!.traceIdHigh), BigInt.asIntN(64, 0x0af7651916cd43ddn));
    assert.equal(i64(span!.traceIdLow), BigInt.asIntN(64, 0x8448eb211c80319cn));
    assert.ok(i64(span!.traceIdLow) < 0n, 'the low half is negative as a signed i64');
    assert.equal(span!.spanId.toString('hex'), 'b7ad6b7169203331');
    assert.equal(span!.parentSpanId.toString('hex'), '00f067aa0ba902b7');
    assert.equal(span!.operationName, 'GET /cart');
    assert.deepEqual(
      span!.references!.map((r) => [r.refType, r.traceIdHigh.toString('hex') + r.traceIdLow.toString('hex'), r.spanId.toString('hex')]),
      [['FOLLOWS_FROM', '11111111111111112222222222222222', '3333333333333333']],
    );
    assert.equal(span!.flags, 1);
    assert.equal(i64(span!.startTime), 1_700_000_000_123_456n, 'µs');
    assert.equal(i64(span!.duration), 2_500n, 'µs');
    assert.deepEqual(span!.tags.map(thriftTag), EXPECTED_SPAN_TAGS);
    assert.deepEqual(
      span!.logs!.map((l) => ({ t: i64(l.timestamp), f: l.fields.map(thriftTag) })),
      EXPECTED_LOGS.map((l) => ({ t: l.us, f: l.fields })),
    );
    assert.equal(i64(root!.parentSpanId), 0n);
    assert.equal(i64(root!.duration), 3_000_000n);
    assert.equal(root!.references, null);
    assert.equal((ThriftBatch.fromBuffer(collector.requests[1]!.body) as { process: { serviceName: string } }).process.serviceName, 'unknown_service');
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await collector.close();
  }
});

test('thrift_http: 503 is retried, 400 is permanent and counted', async () => {
  const collector = await startThriftCollector([503, 202, 400]);
  const h = await startExporter(jaegerExporterFactory, 'jaeger', 'traces', {
    protocol: 'thrift_http',
    endpoint: collector.url,
    sending_queue: { enabled: false },
    retry_on_failure: { initial_interval: '1s', randomization_factor: 0 },
  });
  const single = (): TracesData => ({ resourceSpans: [traces().resourceSpans[0]!] });
  try {
    const outcome = submit(h.exporter, 'traces', single(), receiverContext('otlp'));
    await settleWithRetries(h, outcome, 500);
    assert.equal(outcome.state, 'acked');
    await assert.rejects(deliver(h, single()), /HTTP 400: Unable to process request body/);
    assert.equal(collector.requests.length, 3);
    assert.equal(await h.counter('otelcol_exporter_send_failed_spans'), 2);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await collector.close();
  }
});

test('grpc: a retry resumes at the resource that failed instead of sending the accepted ones again', async () => {
  const collector = await startCollector([grpc.status.OK, grpc.status.UNAVAILABLE, grpc.status.OK]);
  const h = await startExporter(jaegerExporterFactory, 'jaeger', 'traces', {
    endpoint: `127.0.0.1:${collector.port}`,
    tls: { insecure: true },
    sending_queue: { enabled: false },
    retry_on_failure: { initial_interval: '1s', randomization_factor: 0 },
  });
  try {
    const outcome = submit(h.exporter, 'traces', traces(), receiverContext('otlp'));
    await settleWithRetries(h, outcome, 500);
    assert.equal(outcome.state, 'acked', outcome.error?.message);
    const services = collector.requests.map((r) => (r.body.batch as { process: { serviceName: string } }).process.serviceName);
    assert.deepEqual(services, ['checkout', 'unknown_service', 'unknown_service']);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await collector.close();
  }
});

test('thrift_http: a resource refused for good does not hold back the next one; the refusal counts its spans', async () => {
  const collector = await startThriftCollector([400, 202]);
  const h = await startExporter(jaegerExporterFactory, 'jaeger', 'traces', { protocol: 'thrift_http', endpoint: collector.url, sending_queue: { enabled: false } });
  try {
    const outcome = submit(h.exporter, 'traces', traces(), receiverContext('otlp'));
    await waitUntil(() => outcome.state !== 'pending', 5000, () => `${collector.requests.length} requests`);
    assert.equal(outcome.state, 'nacked');
    assert.ok(outcome.error instanceof PermanentError);
    assert.match(outcome.error.message, /HTTP 400: Unable to process request body/);
    assert.equal(outcome.error.rejectedItems, 2, 'the two spans of the refused resource, not the one accepted after it');
    const services = collector.requests.map((r) => (ThriftBatch.fromBuffer(r.body) as { process: { serviceName: string } }).process.serviceName);
    assert.deepEqual(services, ['checkout', 'unknown_service']);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await collector.close();
  }
});

test('TLS: both protocols verify the collector against tls.ca_file under tls.server_name_override', async () => {
  const { cert, key } = serverTls();
  const grpcCollector = await startCollector([], grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }]));
  const thriftCollector = await startThriftCollector([], { cert, key });
  const viaGrpc = await startExporter(jaegerExporterFactory, 'jaeger', 'traces', { endpoint: `127.0.0.1:${grpcCollector.port}`, tls: clientTls, headers: { 'X-Tenant': 'acme' }, sending_queue: { enabled: false } });
  const viaThrift = await startExporter(jaegerExporterFactory, 'jaeger/thrift', 'traces', { protocol: 'thrift_http', endpoint: thriftCollector.url, tls: clientTls, sending_queue: { enabled: false } });
  const untrusted = await startExporter(jaegerExporterFactory, 'jaeger/untrusted', 'traces', {
    protocol: 'thrift_http',
    endpoint: thriftCollector.url,
    tls: { server_name_override: 'sluice-test.local' },
    sending_queue: { enabled: false },
    retry_on_failure: { enabled: false },
  });
  try {
    await deliver(viaGrpc, traces());
    await deliver(viaThrift, traces());
    assert.deepEqual(grpcCollector.requests.map((r) => r.metadata.get('x-tenant')), [['acme'], ['acme']]);
    assert.equal(thriftCollector.requests.length, 2);
    await assert.rejects(deliver(untrusted, traces()), /self[- ]signed|unable to (get|verify)|certificate/i);
    assert.equal(thriftCollector.requests.length, 2, 'nothing reached the collector without the CA');
  } finally {
    for (const h of [viaGrpc, viaThrift, untrusted]) await h.exporter.shutdown(h.clock.now());
    await grpcCollector.close();
    await thriftCollector.close();
  }
});

test('config: thrift_http takes a URL and grpc takes host:port', () => {
  const issues = (config: Record<string, unknown>) => {
    const ctx = { issues: [] as Array<{ message?: string }> };
    jaegerExporterFactory.schema.parse(config, ctx as never);
    return JSON.stringify(ctx.issues);
  };
  assert.match(issues({ protocol: 'thrift_http', endpoint: 'jaeger:14268' }), /thrift_http needs an http:\/\/ or https:\/\/ URL/);
  assert.match(issues({ endpoint: 'http://jaeger:14268/api/traces' }), /grpc needs host:port such as jaeger:14250/);
  assert.equal(issues({ endpoint: 'https://jaeger:14250' }), '[]');
  assert.equal(issues({ protocol: 'thrift_http' }), '[]', 'the default endpoint applies');
});

test('times past 2^53 µs (year 2255) stay exact in both encodings', () => {
  const startNs = 18_000_000_000_123_456_789n;
  const endNs = 2n ** 64n - 1n;
  const data: TracesData = {
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: hex(TRACE),
                spanId: hex('b7ad6b7169203331'),
                name: 'far future',
                startTimeUnixNano: Long.fromString(startNs.toString(), true),
                endTimeUnixNano: Long.fromString(endNs.toString(), true),
                attributes: [],
                events: [],
                links: [],
              },
            ],
          },
        ],
      },
    ],
  };
  const [batch] = toJaegerBatches(data);
  const thrift = ThriftBatch.fromBuffer(encodeThriftBatch(batch!)) as { spans: Array<{ startTime: Buffer; duration: Buffer }> };
  assert.equal(i64(thrift.spans[0]!.startTime), startNs / 1000n);
  assert.equal(i64(thrift.spans[0]!.duration), (endNs - startNs) / 1000n);
  const proto = PostSpansRequest.toObject(PostSpansRequest.decode(encodePostSpans(batch!)), { longs: String }) as { batch: { spans: Array<{ startTime: unknown; duration: unknown }> } };
  assert.deepEqual(proto.batch.spans[0]!.startTime, { seconds: '18000000000', nanos: 123_456_789 });
  assert.deepEqual(proto.batch.spans[0]!.duration, { seconds: String((endNs - startNs) / 1_000_000_000n), nanos: Number((endNs - startNs) % 1_000_000_000n) });
});

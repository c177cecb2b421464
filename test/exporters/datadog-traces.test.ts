// datadog (traces): the msgpack payload a Datadog Agent's /v0.4/traces receives, decoded with
// @msgpack/msgpack (64-bit integers as bigint): every span field, the trace id split, top-level
// and measured spans, and the agent's rate_by_service applied to later traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode } from '@msgpack/msgpack';
import Long from 'long';
import { datadogExporterFactory } from '../../src/exporters/datadog/factory.js';
import { keepsTrace } from '../../src/exporters/datadog/traces.js';
import { receiverContext } from '../../src/pipeline/envelope.js';
import type { KeyValue, Span, TracesData } from '../../src/pdata/types.js';
import { settleWithRetries, startExporter, submit, type ExporterHarness } from '../helpers/exporter-harness.js';
import { waitUntil } from '../helpers/wait.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const kv = (key: string, value: KeyValue['value']): KeyValue => ({ key, value });
const s = (key: string, value: string) => kv(key, { stringValue: value });
const T0 = 1_700_000_000_000_000_000n;
const ns = (v: bigint) => Long.fromString(v.toString(), true);
const TRACE = '0af7651916cd43dd8448eb211c80319c';

const span = (id: string, parent: string, name: string, kind: number, extra: Partial<Span> = {}): Span => ({
  traceId: hex(TRACE),
  spanId: hex(id),
  parentSpanId: parent ? hex(parent) : new Uint8Array(0),
  name,
  kind,
  startTimeUnixNano: ns(T0),
  endTimeUnixNano: ns(T0 + 1_500_000n),
  attributes: [],
  events: [],
  links: [],
  ...extra,
});

const traces = (): TracesData => ({
  resourceSpans: [
    {
      resource: { attributes: [s('service.name', 'cart'), s('deployment.environment.name', 'prod'), s('service.version', '1.2.3'), s('host.name', 'node-7')] },
      scopeSpans: [
        {
          scope: { name: 'express', version: '4.18', attributes: [] },
          spans: [
            span('00f067aa0ba902b7', '', 'GET /cart/:id', 2, {
              attributes: [s('http.request.method', 'GET'), s('http.route', '/cart/:id'), kv('http.response.status_code', { intValue: 500 }), kv('cache.ratio', { doubleValue: 0.5 })],
              status: { code: 2, message: 'upstream failed' },
              events: [{ name: 'exception', timeUnixNano: ns(T0 + 10n), attributes: [s('exception.type', 'TimeoutError'), s('exception.message', 'db timed out'), s('exception.stacktrace', 'at db.query')] }],
            }),
            span('b7ad6b7169203331', '00f067aa0ba902b7', 'SELECT carts', 3, { attributes: [s('db.system', 'postgresql')], status: { code: 1 } }),
          ],
        },
      ],
    },
    {
      resource: { attributes: [s('service.name', 'payments')] },
      scopeSpans: [{ spans: [span('1111111111111111', 'b7ad6b7169203331', 'charge', 1), span('2222222222222222', 'ffffffffffffffff', 'POST', 3, { attributes: [s('http.method', 'POST')] })] }],
    },
  ],
});

type DdSpan = { trace_id: bigint; span_id: bigint; parent_id: bigint; service: string; name: string; resource: string; type: string; start: bigint; duration: bigint; error: number; meta: Record<string, string>; metrics: Record<string, number> };

async function startAgent(replies: Array<{ status: number; body: unknown }> = []) {
  const received: { method?: string; url?: string; headers: IncomingHttpHeaders; traces: DdSpan[][] }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, traces: decode(Buffer.concat(chunks), { useBigInt64: true }) as DdSpan[][] });
      const reply = replies.shift() ?? { status: 200, body: { rate_by_service: { 'service:,env:': 1 } } };
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function withAgent(run: (h: ExporterHarness, agent: Awaited<ReturnType<typeof startAgent>>) => Promise<void>, replies?: Array<{ status: number; body: unknown }>, extra: Record<string, unknown> = {}) {
  const agent = await startAgent(replies);
  const h = await startExporter(datadogExporterFactory, 'datadog', 'traces', { api: { key: 'test-key' }, traces: { endpoint: agent.url }, sending_queue: { enabled: false }, ...extra });
  try {
    await run(h, agent);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await agent.close();
  }
}

async function deliver(h: ExporterHarness, data: TracesData): Promise<void> {
  const outcome = submit(h.exporter, 'traces', data, receiverContext('otlp'));
  await waitUntil(() => outcome.state !== 'pending', 10_000, () => 'the export to settle');
  if (outcome.state === 'nacked') throw outcome.error!;
}

test('PUT /v0.4/traces: msgpack traces of spans with every field of Datadog\'s OTLP mapping', async () => {
  await withAgent(async (h, agent) => {
    await deliver(h, traces());
    assert.equal(agent.received.length, 1);
    const { method, url, headers, traces: payload } = agent.received[0]!;
    assert.equal(method, 'PUT');
    assert.equal(url, '/v0.4/traces');
    assert.equal(headers['content-type'], 'application/msgpack');
    assert.equal(headers['x-datadog-trace-count'], '1');
    assert.equal(headers['datadog-client-computed-top-level'], 'yes');
    assert.equal(headers['datadog-meta-lang'], 'otlp');
    assert.equal(payload.length, 1, 'one trace: all four spans share the trace id');
    const [root, db, charge, post] = payload[0]!;
    const low = 0x8448eb211c80319cn;
    assert.deepEqual(
      payload[0]!.map((sp) => sp.trace_id),
      [low, low, low, low],
      'the low 64 bits, unsigned',
    );
    assert.deepEqual(root, {
      trace_id: low,
      span_id: 0x00f067aa0ba902b7n,
      parent_id: 0n,
      service: 'cart',
      name: 'express.server',
      resource: 'GET /cart/:id',
      type: 'web',
      start: T0,
      duration: 1_500_000n,
      error: 1,
      meta: {
        'service.name': 'cart',
        'deployment.environment.name': 'prod',
        'service.version': '1.2.3',
        'host.name': 'node-7',
        'http.request.method': 'GET',
        'http.route': '/cart/:id',
        '_dd.p.tid': '0af7651916cd43dd',
        'otel.trace_id': TRACE,
        'span.kind': 'server',
        'otel.status_code': 'Error',
        'otel.status_description': 'upstream failed',
        env: 'prod',
        version: '1.2.3',
        'otel.library.name': 'express',
        'otel.library.version': '4.18',
        'error.msg': 'db timed out',
        'error.type': 'TimeoutError',
        'error.stack': 'at db.query',
      },
      metrics: { 'http.response.status_code': 500, 'cache.ratio': 0.5, _sampling_priority_v1: 1, _top_level: 1 },
    });
    assert.equal(db!.parent_id, 0x00f067aa0ba902b7n);
    assert.equal(db!.name, 'express.client');
    assert.equal(db!.resource, 'SELECT carts');
    assert.equal(db!.type, 'db');
    assert.equal(db!.error, 0);
    assert.equal(db!.meta['otel.status_code'], 'Ok');
    assert.deepEqual(db!.metrics, { '_dd.measured': 1, _sampling_priority_v1: 1 }, 'a child in the same service is not top-level');
    assert.equal(charge!.service, 'payments');
    assert.equal(charge!.name, 'opentelemetry.internal');
    assert.equal(charge!.type, 'custom');
    assert.equal(charge!.metrics._top_level, 1, 'its parent belongs to another service');
    assert.equal(post!.resource, 'POST', 'a client span with a method but no route');
    assert.equal(post!.type, 'http');
    assert.equal(post!.metrics._top_level, undefined, 'a client whose parent is elsewhere is not an entry point');
  });
});

test('rate_by_service from the agent sets the sampling priority of later traces, deterministically by trace id', async () => {
  // Two trace ids, one under the 50% rate and one above it.
  const ids = ['00000000000000000000000000000001', '00000000000000000000000000000009'];
  const keep = ids.map((id) => keepsTrace(BigInt(`0x${id.slice(16)}`), 0.5));
  assert.notEqual(keep[0], keep[1], 'the fixture needs one kept and one dropped id');
  await withAgent(
    async (h, agent) => {
      const twoTraces = (): TracesData => ({
        resourceSpans: [{ resource: { attributes: [s('service.name', 'cart'), s('deployment.environment.name', 'prod')] }, scopeSpans: [{ spans: ids.map((id, i) => ({ ...span(`000000000000000${i + 1}`, '', 'op', 2), traceId: hex(id) })) }] }],
      });
      await deliver(h, twoTraces());
      assert.deepEqual(agent.received[0]!.traces.map((t) => t[0]!.metrics._sampling_priority_v1), [1, 1], 'no rates yet: keep');
      await deliver(h, twoTraces());
      assert.deepEqual(agent.received[1]!.traces.map((t) => t[0]!.metrics._sampling_priority_v1), keep.map((k) => (k ? 1 : 0)));
    },
    [{ status: 200, body: { rate_by_service: { 'service:cart,env:prod': 0.5, 'service:,env:': 1 } } }],
  );
  assert.equal(keepsTrace(123n, 1), true);
  assert.equal(keepsTrace(123n, 0), false);
});

test('agent errors: 503 retried, 400 permanent and counted', async () => {
  await withAgent(
    async (h, agent) => {
      const outcome = submit(h.exporter, 'traces', traces(), receiverContext('otlp'));
      await settleWithRetries(h, outcome, 500);
      assert.equal(outcome.state, 'acked');
      await assert.rejects(deliver(h, traces()), /HTTP 400/);
      assert.equal(agent.received.length, 3);
      assert.equal(await h.counter('otelcol_exporter_send_failed_spans'), 4);
    },
    [
      { status: 503, body: 'busy' },
      { status: 200, body: {} },
      { status: 400, body: 'bad payload' },
    ],
    { retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } },
  );
});

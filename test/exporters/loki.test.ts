// loki: push bodies decoded independently of the exporter (snappyjs for the snappy block format,
// protobufjs with the push.proto, plain JSON for the JSON encoding): streams, labels (default,
// hints, config, sanitised), entry order, lines in json/logfmt/raw, structured metadata, tenant
// header per source, auth headers, and how refusals are retried, dropped, counted and logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import Long from 'long';
import { lokiExporterFactory } from '../../src/exporters/loki/factory.js';
import { receiverContext } from '../../src/pipeline/envelope.js';
import { PermanentError } from '../../src/pipeline/errors.js';
import type { KeyValue, LogRecord, LogsData } from '../../src/pdata/types.js';
import { PROTO_DIR } from '../../src/paths.js';
import { settleWithRetries, startExporter, submit, type ExporterHarness } from '../helpers/exporter-harness.js';
import { waitUntil } from '../helpers/wait.js';

const snappyjs = createRequire(import.meta.url)('snappyjs') as { uncompress(data: Uint8Array): Uint8Array };
const pushRoot = new protobuf.Root();
pushRoot.resolvePath = (_origin, target) => `${PROTO_DIR}/${target}`;
pushRoot.loadSync('loki/push.proto');
const PushRequest = pushRoot.lookupType('logproto.PushRequest');

const kv = (key: string, value: string | number | boolean): KeyValue => ({
  key,
  value: typeof value === 'string' ? { stringValue: value } : typeof value === 'boolean' ? { boolValue: value } : { intValue: value },
});
const ns = (ms: number) => Long.fromNumber(ms, true).multiply(1_000_000);
const T0 = 1_700_000_000_000;

interface Received {
  headers: IncomingHttpHeaders;
  streams: Array<{ labels: Record<string, string>; labelsText?: string; entries: Array<{ ns: string; line: string; metadata: Record<string, string> }> }>;
}

/** Parses `{a="b", c="d"}` the way Loki does (quoted values with backslash escapes). */
function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = JSON.parse(`"${m[2]!}"`) as string;
  return out;
}

async function startLoki(statuses: number[] = []) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.headers['content-type'] === 'application/x-protobuf') {
        const decoded = PushRequest.toObject(PushRequest.decode(snappyjs.uncompress(body)), { longs: String, defaults: true }) as {
          streams: Array<{ labels: string; entries: Array<{ timestamp: { seconds: string; nanos: number }; line: string; structuredMetadata: Array<{ name: string; value: string }> }> }>;
        };
        received.push({
          headers: req.headers,
          streams: decoded.streams.map((st) => ({
            labels: parseLabels(st.labels),
            labelsText: st.labels,
            entries: st.entries.map((e) => ({
              ns: (BigInt(e.timestamp.seconds) * 1_000_000_000n + BigInt(e.timestamp.nanos)).toString(),
              line: e.line,
              metadata: Object.fromEntries(e.structuredMetadata.map((m) => [m.name, m.value])),
            })),
          })),
        });
      } else {
        const decoded = JSON.parse(body.toString()) as { streams: Array<{ stream: Record<string, string>; values: Array<[string, string, Record<string, string>?]> }> };
        received.push({
          headers: req.headers,
          streams: decoded.streams.map((st) => ({ labels: st.stream, entries: st.values.map(([t, line, metadata]) => ({ ns: t, line, metadata: metadata ?? {} })) })),
        });
      }
      const status = statuses.shift() ?? 204;
      res.writeHead(status).end(status === 400 ? 'entry for stream \'{job="shop/cart"}\' has timestamp too old' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/loki/api/v1/push`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const record = (ms: number, body: string, extra: Partial<LogRecord> = {}): LogRecord => ({ timeUnixNano: ns(ms), body: { stringValue: body }, attributes: [], ...extra });

const sample = (): LogsData => ({
  resourceLogs: [
    {
      resource: { attributes: [kv('service.name', 'cart'), kv('service.namespace', 'shop'), kv('service.instance.id', 'pod-1'), kv('k8s.pod.name', 'cart-7f9'), kv('loki.resource.labels', 'k8s.pod.name')] },
      scopeLogs: [
        {
          scope: { name: 'app', version: '2.1', attributes: [] },
          logRecords: [
            record(T0 + 30, 'third', { severityNumber: 9, attributes: [kv('http.route', '/cart'), kv('user', 'u1')] }),
            record(T0 + 10, 'first', { severityNumber: 9, attributes: [kv('http.route', '/cart')] }),
            record(T0 + 20, 'payment failed', {
              severityText: 'ERROR',
              severityNumber: 17,
              traceId: Uint8Array.from(Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')),
              spanId: Uint8Array.from(Buffer.from('b7ad6b7169203331', 'hex')),
              attributes: [kv('http.route', '/pay'), kv('retry', true), kv('loki.attribute.labels', 'http.route')],
            }),
          ],
        },
      ],
    },
  ],
});

async function withExporter(config: Record<string, unknown>, run: (h: ExporterHarness, loki: Awaited<ReturnType<typeof startLoki>>) => Promise<void>, statuses: number[] = []) {
  const loki = await startLoki(statuses);
  const h = await startExporter(lokiExporterFactory, 'loki', 'logs', { endpoint: loki.url, sending_queue: { enabled: false }, ...config });
  try {
    await run(h, loki);
  } finally {
    await h.exporter.shutdown(h.clock.now());
    await loki.close();
  }
}

async function deliver(h: ExporterHarness, data: LogsData, context = receiverContext('otlp')): Promise<void> {
  const outcome = submit(h.exporter, 'logs', data, context);
  await waitUntil(() => outcome.state !== 'pending', 10_000, () => 'the push to be settled');
  if (outcome.state === 'nacked') throw outcome.error!;
}

test('protobuf: snappy PushRequest, default and hinted labels, streams by label set, entries in time order, JSON lines', async () => {
  await withExporter({}, async (h, loki) => {
    await deliver(h, sample());
    assert.equal(loki.received.length, 1);
    const { headers, streams } = loki.received[0]!;
    assert.equal(headers['content-type'], 'application/x-protobuf');
    assert.equal(headers['x-scope-orgid'], undefined);
    assert.equal(streams.length, 2);
    const info = streams.find((st) => st.labels.level === 'info')!;
    assert.equal(info.labelsText, '{exporter="OTLP", instance="pod-1", job="shop/cart", k8s_pod_name="cart-7f9", level="info"}');
    assert.deepEqual(
      info.entries.map((e) => e.ns),
      [String(BigInt(T0 + 10) * 1_000_000n), String(BigInt(T0 + 30) * 1_000_000n)],
      'sorted by time within the stream',
    );
    assert.deepEqual(JSON.parse(info.entries[1]!.line), {
      body: 'third',
      attributes: { 'http.route': '/cart', user: 'u1' },
      resources: { 'service.name': 'cart', 'service.namespace': 'shop', 'service.instance.id': 'pod-1' },
      instrumentation_scope: { name: 'app', version: '2.1' },
    });
    const error = streams.find((st) => st.labels.level === 'error')!;
    assert.deepEqual(error.labels, { exporter: 'OTLP', instance: 'pod-1', job: 'shop/cart', k8s_pod_name: 'cart-7f9', level: 'error', http_route: '/pay' });
    assert.deepEqual(JSON.parse(error.entries[0]!.line), {
      body: 'payment failed',
      traceid: '0af7651916cd43dd8448eb211c80319c',
      spanid: 'b7ad6b7169203331',
      severity: 'ERROR',
      attributes: { retry: true },
      resources: { 'service.name': 'cart', 'service.namespace': 'shop', 'service.instance.id': 'pod-1' },
      instrumentation_scope: { name: 'app', version: '2.1' },
    });
  });
});

test('json encoding carries the same streams; logfmt and raw lines; config labels sanitised; default labels can be turned off', async () => {
  await withExporter(
    { encoding: 'json', format: 'logfmt', labels: { resource: { 'k8s.namespace.name': 'namespace' }, attributes: { 'http.route': 'route' } }, default_labels_enabled: { exporter: false, instance: false } },
    async (h, loki) => {
      const data = sample();
      data.resourceLogs[0]!.resource!.attributes.push(kv('k8s.namespace.name', 'prod'));
      data.resourceLogs[0]!.scopeLogs[0]!.logRecords.push(record(T0 + 40, 'plain text', { attributes: [kv('loki.format', 'raw')] }));
      await deliver(h, data);
      const { headers, streams } = loki.received[0]!;
      assert.equal(headers['content-type'], 'application/json');
      const cart = streams.find((st) => st.labels.route === '/cart')!;
      assert.deepEqual(cart.labels, { job: 'shop/cart', k8s_pod_name: 'cart-7f9', level: 'info', namespace: 'prod', route: '/cart' });
      assert.equal(cart.entries[0]!.line, 'msg=first resource_service.name=cart resource_service.namespace=shop resource_service.instance.id=pod-1 instrumentation_scope_name=app instrumentation_scope_version=2.1');
      assert.equal(cart.entries[1]!.line, 'msg=third attribute_user=u1 resource_service.name=cart resource_service.namespace=shop resource_service.instance.id=pod-1 instrumentation_scope_name=app instrumentation_scope_version=2.1');
      const pay = streams.find((st) => st.labels.route === '/pay')!;
      assert.match(pay.entries[0]!.line, /^msg="payment failed" traceID=0af7651916cd43dd8448eb211c80319c spanID=b7ad6b7169203331 severity=ERROR attribute_retry=true /);
      const raw = streams.find((st) => st.labels.level === undefined)!;
      assert.deepEqual(raw.entries.map((e) => e.line), ['plain text']);
    },
  );
});

test('structured_metadata: the line is the body, the rest travels as metadata (protobuf and JSON)', async () => {
  for (const encoding of ['protobuf', 'json']) {
    await withExporter({ encoding, structured_metadata: true }, async (h, loki) => {
      await deliver(h, sample());
      const error = loki.received[0]!.streams.find((st) => st.labels.level === 'error')!;
      assert.equal(error.entries[0]!.line, 'payment failed');
      assert.deepEqual(error.entries[0]!.metadata, {
        retry: 'true',
        service_name: 'cart',
        service_namespace: 'shop',
        service_instance_id: 'pod-1',
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        severity_text: 'ERROR',
        severity_number: '17',
        scope_name: 'app',
        scope_version: '2.1',
      }, encoding);
    });
  }
});

test('tenant from config, from a resource attribute (one request per tenant), from a request header, or from the loki.tenant hint', async () => {
  const twoTenants = (): LogsData => ({
    resourceLogs: ['acme', 'globex', 'acme'].map((tenant, i) => ({
      resource: { attributes: [kv('service.name', `svc-${i}`), kv('tenant.id', tenant)] },
      scopeLogs: [{ logRecords: [record(T0 + i, `from ${tenant}`)] }],
    })),
  });
  await withExporter({ tenant: { source: 'static', value: 'team-a' } }, async (h, loki) => {
    await deliver(h, twoTenants());
    assert.deepEqual(loki.received.map((r) => r.headers['x-scope-orgid']), ['team-a']);
  });
  await withExporter({ tenant: { source: 'attributes', value: 'tenant.id' } }, async (h, loki) => {
    await deliver(h, twoTenants());
    const byTenant = Object.fromEntries(loki.received.map((r) => [r.headers['x-scope-orgid'], r.streams.flatMap((st) => st.entries.map((e) => JSON.parse(e.line).body))]));
    assert.deepEqual(byTenant, { acme: ['from acme', 'from acme'], globex: ['from globex'] });
  });
  await withExporter({ tenant: { source: 'context', value: 'X-Tenant' } }, async (h, loki) => {
    await deliver(h, twoTenants(), receiverContext('otlp', 'http', new Map([['x-tenant', ['initech']]])));
    assert.deepEqual(loki.received.map((r) => r.headers['x-scope-orgid']), ['initech']);
  });
  await withExporter({}, async (h, loki) => {
    const data = twoTenants();
    for (const rl of data.resourceLogs) rl.resource!.attributes.push(kv('loki.tenant', 'tenant.id'));
    await deliver(h, data);
    assert.deepEqual(loki.received.map((r) => r.headers['x-scope-orgid']).sort(), ['acme', 'globex']);
    assert.ok(loki.received.every((r) => r.streams.every((st) => st.entries.every((e) => !('loki.tenant' in (JSON.parse(e.line).resources ?? {}))))), 'hints never reach the line');
  });
});

test('basic auth and bearer token headers; headers from config; secrets not logged', async () => {
  await withExporter({ auth: { username: 'loki', password: 's3cret' }, headers: { 'X-Extra': 'yes' } }, async (h, loki) => {
    await deliver(h, sample());
    assert.equal(loki.received[0]!.headers.authorization, `Basic ${Buffer.from('loki:s3cret').toString('base64')}`);
    assert.equal(loki.received[0]!.headers['x-extra'], 'yes');
    assert.ok(!JSON.stringify(h.logs.lines).includes('s3cret'));
  });
  await withExporter({ auth: { bearer_token: 'tok-123' } }, async (h, loki) => {
    await deliver(h, sample());
    assert.equal(loki.received[0]!.headers.authorization, 'Bearer tok-123');
  });
  const ctx = { issues: [] as unknown[] };
  lokiExporterFactory.schema.parse({ endpoint: 'http://loki:3100/loki/api/v1/push', auth: { username: 'a', bearer_token: 'b' } }, ctx as never);
  assert.match(JSON.stringify(ctx.issues), /either username\/password \(basic\) or bearer_token/);
});

test('429 and 5xx are retried; 400 is permanent, counted, and logged once per stream with Loki\'s reason', async () => {
  await withExporter(
    { retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } },
    async (h, loki) => {
      const outcome = submit(h.exporter, 'logs', sample(), receiverContext('otlp'));
      await settleWithRetries(h, outcome, 500);
      assert.equal(outcome.state, 'acked', 'accepted on the third attempt');
      assert.equal(loki.received.length, 3);

      for (let i = 0; i < 2; i++) await assert.rejects(deliver(h, sample()), /HTTP 400: entry for stream/);
      assert.equal(loki.received.length, 5, 'a 400 is not retried');
      assert.equal(await h.counter('otelcol_exporter_send_failed_log_records'), 6);
      const refusals = h.logs.lines.filter((l) => String(l.msg).startsWith('Loki refused entries'));
      assert.equal(refusals.length, 2, 'one line per stream, not per request');
      assert.deepEqual(refusals.map((l) => l.stream).sort(), [
        '{exporter="OTLP", http_route="/pay", instance="pod-1", job="shop/cart", k8s_pod_name="cart-7f9", level="error"}',
        '{exporter="OTLP", instance="pod-1", job="shop/cart", k8s_pod_name="cart-7f9", level="info"}',
      ]);
      assert.match(String(refusals[0]!.reason), /timestamp too old/);
    },
    [500, 429, 204, 400, 400],
  );
});

/** An attribute whose kvlist holds itself: no encoder gets to the end of it. */
function selfContaining(): KeyValue {
  const value: KeyValue['value'] = { kvlistValue: { values: [] } };
  value.kvlistValue!.values.push({ key: 'self', value });
  return { key: 'loop', value };
}

test('a batch that cannot be encoded is refused for good at once: nothing is pushed, nothing retried, the records count as failed', async () => {
  await withExporter({ retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } }, async (h, loki) => {
    const data: LogsData = { resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [record(T0, 'a', { attributes: [selfContaining()] }), record(T0, 'b')] }] }] };
    const outcome = submit(h.exporter, 'logs', data, receiverContext('otlp'));
    await h.clock.advance(60_000);
    assert.equal(outcome.state, 'nacked');
    assert.ok(outcome.error instanceof PermanentError);
    assert.match(outcome.error.message, /^cannot encode logs: /);
    assert.equal(loki.received.length, 0);
    assert.equal(await h.counter('otelcol_exporter_send_failed_log_records'), 2);
  });
});

test('a retry resends only the tenants Loki has not accepted yet', async () => {
  await withExporter(
    { tenant: { source: 'attributes', value: 'tenant.id' }, retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } },
    async (h, loki) => {
      const data: LogsData = {
        resourceLogs: ['acme', 'globex'].map((tenant) => ({ resource: { attributes: [kv('service.name', 'svc'), kv('tenant.id', tenant)] }, scopeLogs: [{ logRecords: [record(T0, `for ${tenant}`)] }] })),
      };
      const outcome = submit(h.exporter, 'logs', data, receiverContext('otlp'));
      await settleWithRetries(h, outcome, 500);
      assert.equal(outcome.state, 'acked');
      assert.deepEqual(loki.received.map((r) => r.headers['x-scope-orgid']), ['acme', 'globex', 'globex']);
    },
    [204, 503],
  );
});

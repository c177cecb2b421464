// OTLP/JSON: the spec's example files, an independent implementation (the OpenTelemetry JS
// SDK's serializers), the lenient inputs the protobuf JSON mapping allows, and refusals that
// name the offending field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SpanKind, SpanStatusCode, context as contextApi, trace as traceApi } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { OtlpJsonError, decodeOtlpJson, encodeOtlpJson } from '../../src/codec/otlp-json.js';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { SIGNALS, type Signal } from '../../src/pdata/types.js';

const TESTDATA = '/work/shared/testdata/otlp-json';
const FILES: Record<Signal, string> = { traces: 'trace.json', metrics: 'metrics.json', logs: 'logs.json' };

const INT64_KEYS = new Set(['startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano', 'observedTimeUnixNano', 'intValue', 'asInt', 'count', 'zeroCount', 'bucketCounts']);
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
/** Oneof members and proto3 optionals: their zero value is data, not an omitted default. */
const PRESENCE_KEYS = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue', 'asDouble', 'asInt', 'sum', 'min', 'max']);

/** Parsed OTLP/JSON with the freedoms of the format removed: 64-bit as strings, hex lower case, defaults dropped. */
function normalize(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x, key));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      const n = normalize(child, k);
      const isDefault = n === 0 || n === '' || n === false || n === '0' || (Array.isArray(n) && n.length === 0);
      if (!isDefault || PRESENCE_KEYS.has(k)) out[k] = n;
    }
    return out;
  }
  if (INT64_KEYS.has(key) && typeof v === 'number') return String(v);
  if (ID_KEYS.has(key) && typeof v === 'string') return v.toLowerCase();
  return v;
}

/** JSON → pdata → protobuf → pdata → JSON. */
function throughProtobuf<S extends Signal>(signal: S, json: Uint8Array): string {
  const codec = otlpCodecs[signal];
  return encodeOtlpJson(signal, codec.decode(codec.encode(decodeOtlpJson(signal, json))));
}

for (const signal of SIGNALS) {
  test(`${signal}: the spec's example ${FILES[signal]} survives JSON → protobuf → JSON`, () => {
    const bytes = readFileSync(`${TESTDATA}/${FILES[signal]}`);
    assert.deepStrictEqual(decodeOtlpJson(signal, bytes.toString('utf8')), decodeOtlpJson(signal, bytes), 'string and bytes input decode alike');
    const json = throughProtobuf(signal, bytes);
    assert.deepEqual(normalize(JSON.parse(json)), normalize(JSON.parse(bytes.toString('utf8'))));
  });
}

test('the example files decode to the values they spell', () => {
  const traces = decodeOtlpJson('traces', readFileSync(`${TESTDATA}/trace.json`));
  const span = traces.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(Buffer.from(span.traceId!).toString('hex'), '5b8efff798038103d269b633813fc60c');
  assert.equal(Buffer.from(span.parentSpanId!).toString('hex'), 'eee19b7ec3c1b173');
  assert.equal(span.kind, 2);
  assert.equal(span.startTimeUnixNano!.toString(), '1544712660000000000');
  const metrics = decodeOtlpJson('metrics', readFileSync(`${TESTDATA}/metrics.json`));
  const hist = metrics.resourceMetrics[0]!.scopeMetrics[0]!.metrics[2]!.histogram!.dataPoints[0]!;
  assert.deepEqual(hist.bucketCounts.map(String), ['1', '1']);
  assert.equal(hist.min, 0, 'an optional field set to 0 is kept');
  const logs = decodeOtlpJson('logs', readFileSync(`${TESTDATA}/logs.json`));
  const record = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(record.attributes.find((a) => a.key === 'int.attribute')!.value!.intValue!.toString(), '10');
  assert.equal(record.body!.stringValue, 'Example log record');
});

// ---- independent implementation: the OpenTelemetry JS SDK's JSON and protobuf serializers ----

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const sdkResource = resourceFromAttributes({ 'service.name': 'checkout', 'host.cores': 8, 'process.command_args': ['node', 'app.js'], 'deployment.canary': false });

function sdkTraces() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: sdkResource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('sdk-tracer', '1.2.3');
  for (let i = 0; i < 3; i++) {
    const parent = tracer.startSpan(`GET /cart/${i}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.response.status_code': 200 + i, ratio: 0.25 * i, flags: ['a', 'b'], 'cache.hit': i % 2 === 0, big: 2 ** 53 + 2 },
    });
    const child = tracer.startSpan(
      `SELECT ${i}`,
      { kind: SpanKind.CLIENT, links: [{ context: parent.spanContext(), attributes: { 'link.kind': 'follows' } }] },
      traceApi.setSpan(contextApi.active(), parent),
    );
    child.addEvent('row fetched', { 'db.rows': i });
    child.setStatus({ code: SpanStatusCode.ERROR, message: `boom ${i}` });
    child.end();
    parent.setStatus({ code: SpanStatusCode.OK });
    parent.end();
  }
  return exporter.getFinishedSpans();
}

async function sdkMetrics() {
  const reader = new CollectingReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  const provider = new MeterProvider({
    resource: sdkResource,
    readers: [reader],
    views: [{ instrumentName: 'exp.*', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('sdk-meter', '0.1.0');
  const counter = meter.createCounter('requests', { unit: '1', description: 'requests served' });
  const updown = meter.createUpDownCounter('queue.depth');
  const histogram = meter.createHistogram('latency', { unit: 'ms' });
  const exponential = meter.createHistogram('exp.latency', { unit: 'ms' });
  meter.createObservableGauge('temperature', { unit: 'Cel' }).addCallback((r) => r.observe(21.5, { room: 'server' }));
  for (let i = 0; i < 5; i++) {
    counter.add(i + 1, { route: `/r${i % 2}` });
    updown.add(i % 2 ? -1 : 2, { queue: 'q' });
    histogram.record(3.5 * i, { route: '/r' });
    exponential.record(i === 0 ? 0 : 1.7 ** i, { route: '/r' });
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

async function sdkLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: sdkResource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('sdk-logger', '3.0.0');
  const tracer = new BasicTracerProvider().getTracer('t');
  const span = tracer.startSpan('with-logs');
  for (let i = 0; i < 4; i++) {
    logger.emit({
      severityNumber: SeverityNumber.INFO + i,
      severityText: `INFO${i}`,
      body: i % 2 ? `line ${i}` : { message: `structured ${i}`, nested: { list: [1, 'two', true, 2.5], bytes: new Uint8Array([0, 250, 251, 252, 255]) } },
      attributes: { index: i, big: -(2 ** 53) },
      eventName: `event.${i}`,
      timestamp: [1_700_000_000, 123_456_789 + i],
      context: traceApi.setSpan(contextApi.active(), span),
    });
  }
  span.end();
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

test('OTLP/JSON from the OpenTelemetry JS SDK decodes to what its protobuf decodes to', async () => {
  const spans = sdkTraces();
  const resourceMetrics = await sdkMetrics();
  const records = await sdkLogs();
  const cases = [
    { signal: 'traces', json: JsonTraceSerializer.serializeRequest(spans)!, proto: ProtobufTraceSerializer.serializeRequest(spans)! },
    { signal: 'metrics', json: JsonMetricsSerializer.serializeRequest(resourceMetrics)!, proto: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)! },
    { signal: 'logs', json: JsonLogsSerializer.serializeRequest(records)!, proto: ProtobufLogsSerializer.serializeRequest(records)! },
  ] as const;
  for (const { signal, json, proto } of cases) {
    const fromJson = decodeOtlpJson(signal, json);
    // A receiver always decodes from a Buffer, which makes protobufjs return Buffers for bytes fields, as we do.
    const fromProto = otlpCodecs[signal].decode(Buffer.from(proto));
    assert.deepStrictEqual(fromJson, fromProto, `${signal}: SDK JSON and SDK protobuf disagree after decoding`);
    // And our JSON, read back by the same rules, is the same data again.
    assert.deepStrictEqual(decodeOtlpJson(signal, encodeOtlpJson(signal, fromProto)), fromProto);
  }
  // Guard against a vacuous comparison: every kind of item made it into the requests.
  const metrics = decodeOtlpJson('metrics', cases[1].json).resourceMetrics[0]!.scopeMetrics[0]!.metrics;
  assert.deepEqual(metrics.map((m) => m.data).sort(), ['exponentialHistogram', 'gauge', 'histogram', 'sum', 'sum']);
  const exp = metrics.find((m) => m.exponentialHistogram)!.exponentialHistogram!.dataPoints[0]!;
  // The SDK's histograms refuse negative values, so only positive buckets and the zero count are exercised here.
  assert.ok(exp.positive!.bucketCounts.length > 0 && exp.zeroCount!.toString() === '1');
  assert.equal(decodeOtlpJson('traces', cases[0].json).resourceSpans[0]!.scopeSpans[0]!.spans.length, 6);
  const logBody = decodeOtlpJson('logs', cases[2].json).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body!;
  const bytes = logBody.kvlistValue!.values.find((kv) => kv.key === 'nested')!.value!.kvlistValue!.values.find((kv) => kv.key === 'bytes')!;
  assert.deepEqual([...bytes.value!.bytesValue!], [0, 250, 251, 252, 255]);
});

// ---- what the JSON mapping allows on input ----

const spanJson = (span: string) => `{"resourceSpans":[{"scopeSpans":[{"spans":[${span}]}]}]}`;
const firstSpan = (text: string) => decodeOtlpJson('traces', text).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;

test('decode accepts snake_case names, enum names, upper-case hex, and ignores unknown fields and nulls', () => {
  const text = `{"resource_spans":[{"schema_url":"s","future_field":{"x":[1,2]},"scope_spans":[{"spans":[{
    "trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"eee19b7ec3c1b174","parent_span_id":"",
    "kind":"SPAN_KIND_CONSUMER","status":{"code":"STATUS_CODE_ERROR"},"start_time_unix_nano":"1",
    "dropped_attributes_count":"3","name":null,"links":null}]}]}]}`;
  const decoded = decodeOtlpJson('traces', text);
  assert.equal(decoded.resourceSpans[0]!.schemaUrl, 's');
  const span = decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(Buffer.from(span.traceId!).toString('hex'), '5b8efff798038103d269b633813fc60c');
  assert.equal(Object.hasOwn(span, 'parentSpanId'), false, 'an empty id is no id');
  assert.equal(span.kind, 5);
  assert.equal(span.status!.code, 2);
  assert.equal(span.droppedAttributesCount, 3);
  assert.equal(Object.hasOwn(span, 'name'), false);
  assert.deepEqual(span.links, []);
  const metric = decodeOtlpJson('metrics', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregation_temporality":"AGGREGATION_TEMPORALITY_CUMULATIVE"}}]}]}]}');
  assert.equal(metric.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.aggregationTemporality, 2);
  const log = decodeOtlpJson('logs', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severity_number":"SEVERITY_NUMBER_WARN","event_name":"e"}]}]}]}');
  assert.equal(log.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.severityNumber, 13);
});

test('64-bit fields accept JSON numbers, and integer literals above 2^53 are not rounded', () => {
  const span = firstSpan(
    spanJson(`{"startTimeUnixNano": 18446744073709551615, "endTimeUnixNano":1700000000123456789, "attributes":[
      {"key":"min","value":{"intValue":-9223372036854775808}},
      {"key":"odd","value":{"intValue":9007199254740993}},
      {"key":"small","value":{"intValue":-42}},
      {"key":"dbl","value":{"doubleValue":12345678901234567890}},
      {"key":"text","value":{"stringValue":"x\\": 12345678901234567890, [-12345678901234567890 \\\\"}}]}`),
  );
  assert.equal(span.startTimeUnixNano!.toString(), '18446744073709551615');
  assert.equal(span.endTimeUnixNano!.toString(), '1700000000123456789');
  const [min, odd, small, dbl, text] = span.attributes.map((a) => a.value!);
  assert.equal(min!.intValue!.toString(), '-9223372036854775808');
  assert.equal(odd!.intValue!.toString(), '9007199254740993');
  assert.equal(small!.intValue!.toString(), '-42');
  assert.equal(dbl!.doubleValue, 12345678901234567890);
  assert.equal(text!.stringValue, 'x": 12345678901234567890, [-12345678901234567890 \\', 'digits inside strings are left alone');
  const dp = decodeOtlpJson('metrics', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"count":3,"bucketCounts":[1,"2",18446744073709551615],"explicitBounds":[1,"2.5"]}]}}]}]}]}')
    .resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.histogram!.dataPoints[0]!;
  assert.deepEqual(dp.bucketCounts.map(String), ['1', '2', '18446744073709551615']);
  assert.equal(dp.count!.toString(), '3');
  assert.deepEqual(dp.explicitBounds, [1, 2.5]);
});

test('doubles accept the JSON mapping spellings of non-finite values; bytes accept URL-safe base64', () => {
  const span = firstSpan(
    spanJson(`{"attributes":[{"key":"a","value":{"doubleValue":"NaN"}},{"key":"b","value":{"doubleValue":"-Infinity"}},{"key":"c","value":{"doubleValue":"1.5"}},{"key":"d","value":{"bytesValue":"-_8"}}]}`),
  );
  const [a, b, c, d] = span.attributes.map((kv) => kv.value!);
  assert.ok(Number.isNaN(a!.doubleValue));
  assert.equal(b!.doubleValue, -Infinity);
  assert.equal(c!.doubleValue, 1.5);
  assert.deepEqual([...d!.bytesValue!], [0xfb, 0xff]);
  assert.match(encodeOtlpJson('traces', decodeOtlpJson('traces', spanJson(`{"attributes":[{"key":"a","value":{"doubleValue":"NaN"}}]}`))), /"doubleValue":"NaN"/);
});

// ---- refusals name the field ----

function assertRefused(signal: Signal, text: string | Uint8Array, path: string, detail: RegExp): void {
  assert.throws(
    () => decodeOtlpJson(signal, text),
    (e: unknown) => {
      assert.ok(e instanceof OtlpJsonError, `expected an OtlpJsonError, got ${String(e)}`);
      assert.equal(e.path, path);
      assert.ok(e.message.includes(`invalid OTLP/JSON ${signal} request`), e.message);
      if (path) assert.ok(e.message.includes(` at ${path}: `), e.message);
      assert.match(e.message, detail);
      return true;
    },
  );
}

test('malformed JSON and malformed UTF-8 are refused', () => {
  assertRefused('traces', '{"resourceSpans": [', '', /JSON/);
  assertRefused('traces', '{"resourceSpans": [{"resource": 12345678901234567890', '', /JSON/);
  assertRefused('logs', Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), '', /encoded data|invalid/i);
});

test('wrong types are refused with the path of the field', () => {
  assertRefused('traces', '[]', '', /expected object, got array/);
  assertRefused('traces', '{"resourceSpans":"x"}', 'resourceSpans', /expected array, got string "x"/);
  assertRefused('traces', '{"resourceSpans":["x"]}', 'resourceSpans[0]', /expected object, got string/);
  assertRefused('traces', '{"resourceSpans":[{"resource":12345678901234567890}]}', 'resourceSpans[0].resource', /expected object, got number 1234567890123456/);
  assertRefused('traces', spanJson('{"name":5}'), 'resourceSpans[0].scopeSpans[0].spans[0].name', /expected string, got number 5/);
  assertRefused('traces', spanJson('{},{"kind":"SPAN_KIND_BOGUS"}'), 'resourceSpans[0].scopeSpans[0].spans[1].kind', /SPAN_KIND_SERVER/);
  assertRefused('traces', spanJson('{"start_time_unix_nano":"-5"}'), 'resourceSpans[0].scopeSpans[0].spans[0].start_time_unix_nano', /unsigned 64-bit/);
  assertRefused('traces', spanJson('{"startTimeUnixNano":"12a"}'), 'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano', /integer/);
  assertRefused('traces', spanJson('{"startTimeUnixNano":18446744073709551616}'), 'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano', /unsigned 64-bit/);
  assertRefused('traces', spanJson('{"startTimeUnixNano":1e20}'), 'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano', /not exact, write it as a string/);
  assertRefused('traces', spanJson('{"startTimeUnixNano":01700000000123456789}'), '', /malformed JSON/);
  // After a big 64-bit literal forces the exact re-parse, a big literal where a message belongs is still refused, digits intact.
  assertRefused(
    'traces',
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":18446744073709551615}]}]},{"resource":12345678901234567890}]}',
    'resourceSpans[1].resource',
    /expected object, got number 12345678901234567890$/,
  );
  assertRefused('traces', spanJson('{"attributes":[{"key":"k","value":{"doubleValue":" 1"}}]}'), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.doubleValue', /expected number/);
  assertRefused('traces', spanJson('{"droppedAttributesCount":-1}'), 'resourceSpans[0].scopeSpans[0].spans[0].droppedAttributesCount', /integer in \[0, 4294967295\]/);
  assertRefused('traces', spanJson('{"attributes":[{"key":"k","value":{"boolValue":"true"}}]}'), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.boolValue', /expected boolean/);
  assertRefused('traces', spanJson('{"attributes":[{"key":"k","value":{"bytesValue":"not base64!"}}]}'), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue', /base64/);
  assertRefused('traces', spanJson('{"attributes":[{"key":"k","value":{"stringValue":"a","intValue":"1"}}]}'), 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue', /oneof/);
  assertRefused('metrics', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[null]}}]}]}]}', 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]', /expected object, got null/);
});

test('bad hex ids are refused wherever ids occur', () => {
  const spans = 'resourceSpans[0].scopeSpans[0].spans[0]';
  assertRefused('traces', spanJson('{"traceId":"zz8efff798038103d269b633813fc60c"}'), `${spans}.traceId`, /hex string of 16 bytes/);
  assertRefused('traces', spanJson('{"traceId":"5b8efff798038103d269b633813fc60"}'), `${spans}.traceId`, /32 hex digits/);
  assertRefused('traces', spanJson('{"spanId":"5b8efff798038103d269b633813fc60c"}'), `${spans}.spanId`, /hex string of 8 bytes/);
  assertRefused('traces', spanJson('{"parentSpanId":"eee19b7ec3c1b17g"}'), `${spans}.parentSpanId`, /hex string of 8 bytes/);
  assertRefused('traces', spanJson('{"parentSpanId":7}'), `${spans}.parentSpanId`, /got number 7/);
  assertRefused('traces', spanJson('{"links":[{"spanId":"eee19b7ec3c1b174"},{"spanId":"ééé19b7ec3c1b1"}]}'), `${spans}.links[1].spanId`, /hex string of 8 bytes/);
  assertRefused('logs', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"AQID"}]}]}]}', 'resourceLogs[0].scopeLogs[0].logRecords[0].traceId', /16 bytes/);
  assertRefused(
    'metrics',
    '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{"exemplars":[{"span_id":"xyz"}]}]}}]}]}]}',
    'resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].exemplars[0].span_id',
    /8 bytes/,
  );
});

test('nesting deeper than the protobuf decoder allows is refused, not a stack overflow', () => {
  const depth = 500;
  const body = '{"arrayValue":{"values":['.repeat(depth) + ']}}'.repeat(depth);
  assert.throws(
    () => decodeOtlpJson('logs', `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${body}}]}]}]}`),
    (e: unknown) => e instanceof OtlpJsonError && /nesting deeper than/.test(e.message),
  );
});

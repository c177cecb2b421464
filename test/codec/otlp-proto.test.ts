// Lossless round trips of requests that use every field OTLP defines: protobuf → pdata → protobuf
// must reproduce the bytes, and pdata → OTLP/JSON → pdata must reproduce the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { decodeOtlpJson, encodeOtlpJson } from '../../src/codec/otlp-json.js';
import type { AnyValue, KeyValue, LogsData, MetricsData, Signal, SignalData, TracesData } from '../../src/pdata/types.js';
import { SIGNALS } from '../../src/pdata/types.js';
import { canon } from '../helpers/canon.js';

const MAX_U64 = Long.MAX_UNSIGNED_VALUE; // 18446744073709551615 ns
const T_BIG = Long.fromString('1700000000123456789', true);
const T_SAFE = Long.fromNumber(1_000, true);
const TRACE_ID = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
const SPAN_ID = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 0xff]);
const OTHER_TRACE_ID = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
const OTHER_SPAN_ID = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1]);

const nested: AnyValue = {
  kvlistValue: {
    values: [
      {
        key: 'list',
        value: {
          arrayValue: {
            values: [
              { kvlistValue: { values: [{ key: 'deep', value: { stringValue: 'ü ✓ "quoted" \\ \n' } }] } },
              { bytesValue: Uint8Array.from([0, 1, 254, 255, 62, 63]) },
              { intValue: Long.MIN_VALUE },
              { intValue: Long.MAX_VALUE },
              { intValue: Long.fromNumber(-1) },
              { doubleValue: -1.5e-300 },
              { doubleValue: Infinity },
              { boolValue: true },
              { boolValue: false },
              { stringValue: '' },
              { intValue: Long.ZERO },
              { doubleValue: 0 },
              {},
            ],
          },
        },
      },
      { key: 'empty.list', value: { arrayValue: { values: [] } } },
      { key: 'empty.map', value: { kvlistValue: { values: [] } } },
    ],
  },
};

const attrs = (prefix: string): KeyValue[] => [
  { key: `${prefix}.str`, value: { stringValue: 'v' } },
  { key: `${prefix}.nested`, value: nested },
];

const resource = { attributes: attrs('resource'), droppedAttributesCount: 3, entityRefs: [{ schemaUrl: 'https://opentelemetry.io/schemas/1.30.0', type: 'service', idKeys: ['service.name'], descriptionKeys: ['service.version'] }] };
const scope = { name: 'scope', version: '2.0', attributes: attrs('scope'), droppedAttributesCount: 4 };

const traces: TracesData = {
  resourceSpans: [
    {
      resource,
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
      scopeSpans: [
        {
          scope,
          schemaUrl: 'https://opentelemetry.io/schemas/1.22.0',
          spans: [
            {
              traceId: TRACE_ID,
              spanId: SPAN_ID,
              parentSpanId: OTHER_SPAN_ID,
              traceState: 'vendor=a,other=b',
              flags: 0x301,
              name: 'span',
              kind: 5,
              startTimeUnixNano: T_BIG,
              endTimeUnixNano: MAX_U64,
              attributes: attrs('span'),
              droppedAttributesCount: 5,
              events: [{ timeUnixNano: MAX_U64, name: 'event', attributes: attrs('event'), droppedAttributesCount: 6 }],
              droppedEventsCount: 7,
              links: [{ traceId: OTHER_TRACE_ID, spanId: OTHER_SPAN_ID, traceState: 'k=v', attributes: attrs('link'), droppedAttributesCount: 8, flags: 0x101 }],
              droppedLinksCount: 9,
              status: { code: 2, message: 'failed' },
            },
            { traceId: TRACE_ID, spanId: OTHER_SPAN_ID, name: 'root', startTimeUnixNano: T_SAFE, endTimeUnixNano: T_BIG, attributes: [], events: [], links: [], status: {} },
          ],
        },
      ],
    },
  ],
};

const exemplars = [
  { filteredAttributes: attrs('exemplar'), timeUnixNano: MAX_U64, asDouble: 0.25, spanId: SPAN_ID, traceId: TRACE_ID },
  { filteredAttributes: [], timeUnixNano: T_BIG, asInt: Long.MIN_VALUE },
];

const metrics: MetricsData = {
  resourceMetrics: [
    {
      resource,
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
      scopeMetrics: [
        {
          scope,
          schemaUrl: 'https://opentelemetry.io/schemas/1.22.0',
          metrics: [
            {
              name: 'gauge',
              description: 'a gauge',
              unit: 'By',
              metadata: attrs('metadata'),
              gauge: {
                dataPoints: [
                  // Zero values inside a oneof are data: they must not vanish as "defaults".
                  { attributes: [], timeUnixNano: T_BIG, asDouble: 0, exemplars: [] },
                  { attributes: [], timeUnixNano: T_BIG, asInt: Long.ZERO, exemplars: [], flags: 1 },
                ],
              },
            },
            {
              name: 'sum',
              sum: {
                aggregationTemporality: 1,
                isMonotonic: true,
                dataPoints: [{ attributes: attrs('dp'), startTimeUnixNano: T_SAFE, timeUnixNano: MAX_U64, asInt: Long.MAX_VALUE, exemplars, flags: 1 }],
              },
            },
            {
              name: 'histogram',
              histogram: {
                aggregationTemporality: 2,
                dataPoints: [
                  {
                    attributes: attrs('dp'),
                    startTimeUnixNano: T_BIG,
                    timeUnixNano: MAX_U64,
                    count: MAX_U64,
                    sum: 0,
                    bucketCounts: [Long.fromNumber(1, true), Long.UZERO, MAX_U64],
                    explicitBounds: [-1.5, 0, 1e300],
                    exemplars,
                    flags: 1,
                    min: 0,
                    max: 1e300,
                  },
                ],
              },
            },
            {
              name: 'exponential',
              exponentialHistogram: {
                aggregationTemporality: 1,
                dataPoints: [
                  {
                    attributes: [],
                    startTimeUnixNano: T_BIG,
                    timeUnixNano: MAX_U64,
                    count: Long.fromString('9007199254740993', true),
                    sum: -12.5,
                    scale: -3,
                    zeroCount: Long.fromNumber(2, true),
                    positive: { offset: -2, bucketCounts: [Long.fromNumber(3, true), MAX_U64] },
                    negative: { offset: 5, bucketCounts: [Long.fromNumber(4, true)] },
                    flags: 0,
                    exemplars,
                    min: -100,
                    max: 100,
                    zeroThreshold: 1e-9,
                  },
                ],
              },
            },
            {
              name: 'summary',
              summary: {
                dataPoints: [
                  {
                    attributes: [],
                    startTimeUnixNano: T_SAFE,
                    timeUnixNano: T_BIG,
                    count: Long.fromNumber(10, true),
                    sum: 99.5,
                    quantileValues: [
                      { quantile: 0, value: 1 },
                      { quantile: 0.99, value: 42.25 },
                    ],
                    flags: 1,
                  },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
};

const logs: LogsData = {
  resourceLogs: [
    {
      resource,
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
      scopeLogs: [
        {
          scope,
          schemaUrl: 'https://opentelemetry.io/schemas/1.22.0',
          logRecords: [
            {
              timeUnixNano: MAX_U64,
              observedTimeUnixNano: T_BIG,
              severityNumber: 17,
              severityText: 'ERROR',
              body: nested,
              attributes: attrs('log'),
              droppedAttributesCount: 2,
              flags: 1,
              traceId: TRACE_ID,
              spanId: SPAN_ID,
              eventName: 'checkout.failed',
            },
            { timeUnixNano: T_SAFE, body: { bytesValue: Uint8Array.from([1, 2, 3]) }, attributes: [] },
          ],
        },
      ],
    },
  ],
};

const REQUESTS: SignalData = { traces, metrics, logs };

function encode<S extends Signal>(signal: S, data: SignalData[S]): Buffer {
  return Buffer.from(otlpCodecs[signal].encode(data));
}

for (const signal of SIGNALS) {
  test(`${signal}: protobuf encode → decode → encode is byte-identical and content-identical`, () => {
    const bytes = encode(signal, REQUESTS[signal]);
    const decoded = otlpCodecs[signal].decode(bytes);
    const again = encode(signal, decoded);
    assert.ok(again.equals(bytes), 'bytes differ after a decode/encode cycle');
    assert.deepEqual(otlpCodecs[signal].decode(again), decoded);
    assert.deepEqual(canon(decoded), canon(REQUESTS[signal]));
  });

  test(`${signal}: OTLP/JSON encode → decode gives back the same data, in the protobuf decoder's shape`, () => {
    const decoded = otlpCodecs[signal].decode(encode(signal, REQUESTS[signal]));
    const fromJson = decodeOtlpJson(signal, encodeOtlpJson(signal, decoded));
    assert.deepStrictEqual(fromJson, decoded);
    assert.ok(encode(signal, fromJson).equals(encode(signal, decoded)), 'protobuf bytes differ after OTLP/JSON');
    // The hand-built request (numbers, plain objects, Uint8Array) encodes to the same JSON as its decoded form.
    assert.equal(encodeOtlpJson(signal, REQUESTS[signal]), encodeOtlpJson(signal, decoded));
  });
}

test('64-bit values above 2^53 keep every digit, in protobuf and in OTLP/JSON', () => {
  const span = otlpCodecs.traces.decode(encode('traces', traces)).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(span.endTimeUnixNano!.toString(), '18446744073709551615');
  assert.equal(span.startTimeUnixNano!.toString(), '1700000000123456789');
  const json = encodeOtlpJson('traces', traces);
  assert.match(json, /"startTimeUnixNano":"1700000000123456789","endTimeUnixNano":"18446744073709551615"/);
  assert.match(json, /"intValue":"-9223372036854775808"\},\{"intValue":"9223372036854775807"\}/);
  const metricJson = encodeOtlpJson('metrics', metrics);
  assert.match(metricJson, /"bucketCounts":\["1","0","18446744073709551615"\]/);
  assert.match(metricJson, /"asInt":"-9223372036854775808"/);
});

test('OTLP/JSON writes ids as hex, other bytes as base64, enums as integers, and keeps oneof zeros', () => {
  const json = encodeOtlpJson('traces', traces);
  assert.match(json, /"traceId":"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff","spanId":"00010203040506ff","traceState":"vendor=a,other=b","parentSpanId":"deadbeef00000001"/);
  assert.match(json, /"kind":5/);
  assert.match(json, /"status":\{"message":"failed","code":2\}/);
  assert.match(json, /"bytesValue":"AAH\+\/z4\/"/);
  assert.match(json, /\{"stringValue":""\},\{"intValue":"0"\},\{"doubleValue":0\},\{\}/);
  assert.match(json, /"doubleValue":"Infinity"/);
  const metricJson = encodeOtlpJson('metrics', metrics);
  assert.match(metricJson, /"timeUnixNano":"1700000000123456789","asDouble":0\}/);
  assert.match(metricJson, /"sum":0,"bucketCounts"/);
  assert.doesNotMatch(metricJson, /"flags":0/);
});

// Small but representative OTLP batches for exporter tests, in the decoded (protobufjs) form a
// receiver would hand on: Long timestamps, byte ids, oneof discriminators.
import Long from 'long';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../src/pdata/types.js';

const T0 = Long.fromString('1700000000123456789', true);
const T1 = Long.fromString('1700000000223456789', true);
const TRACE_ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const SPAN_ID = Uint8Array.from([0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8]);
const PARENT_ID = Uint8Array.from([0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8]);
const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] };
const scope = { name: 'sluice-test', version: '1.0.0', attributes: [] };

const traces: TracesData = {
  resourceSpans: [
    {
      resource,
      scopeSpans: [
        {
          scope,
          spans: [
            {
              traceId: TRACE_ID,
              spanId: SPAN_ID,
              parentSpanId: PARENT_ID,
              name: 'GET /cart',
              kind: 2,
              startTimeUnixNano: T0,
              endTimeUnixNano: T1,
              attributes: [
                { key: 'http.status_code', value: { intValue: Long.fromNumber(200) } },
                { key: 'big', value: { intValue: Long.fromString('9007199254740993') } },
              ],
              events: [{ timeUnixNano: T0, name: 'cache miss', attributes: [] }],
              links: [],
              status: { code: 2, message: 'boom' },
            },
            { traceId: TRACE_ID, spanId: PARENT_ID, name: 'checkout', startTimeUnixNano: T0, endTimeUnixNano: T1, attributes: [], events: [], links: [] },
          ],
        },
      ],
    },
  ],
};

const metrics: MetricsData = {
  resourceMetrics: [
    {
      resource,
      scopeMetrics: [
        {
          scope,
          metrics: [
            {
              name: 'requests',
              unit: '1',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  { attributes: [{ key: 'route', value: { stringValue: '/cart' } }], startTimeUnixNano: T0, timeUnixNano: T1, asInt: Long.fromNumber(42), exemplars: [] },
                  { attributes: [{ key: 'route', value: { stringValue: '/pay' } }], startTimeUnixNano: T0, timeUnixNano: T1, asInt: Long.fromNumber(7), exemplars: [] },
                ],
              },
            },
            {
              name: 'latency',
              unit: 'ms',
              histogram: {
                aggregationTemporality: 2,
                dataPoints: [
                  { attributes: [], startTimeUnixNano: T0, timeUnixNano: T1, count: Long.fromNumber(3), sum: 12.5, bucketCounts: [Long.fromNumber(1), Long.fromNumber(2)], explicitBounds: [5], exemplars: [] },
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
      scopeLogs: [
        {
          scope,
          logRecords: [
            {
              timeUnixNano: T0,
              severityNumber: 9,
              severityText: 'INFO',
              body: { stringValue: 'order placed' },
              attributes: [{ key: 'order.id', value: { stringValue: 'o-1' } }],
              traceId: TRACE_ID,
              spanId: SPAN_ID,
            },
          ],
        },
      ],
    },
  ],
};

const SAMPLES: SignalData = { traces, metrics, logs };

/** A fresh decoded copy of the sample batch for `signal` (2 spans, 3 data points or 1 log record). */
export function sample<S extends Signal>(signal: S): SignalData[S] {
  const codec = otlpCodecs[signal];
  return codec.decode(codec.encode(SAMPLES[signal]));
}

/** The protobuf encoding of the sample batch: what an exporter must put on the wire. */
export function sampleBytes(signal: Signal): Buffer {
  const codec = otlpCodecs[signal] as unknown as { encode(data: unknown): Uint8Array };
  return Buffer.from(codec.encode(sample(signal)));
}

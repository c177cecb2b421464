// The OpenTelemetry JS SDK's own exporters send to a running sluice, which forwards with its
// otlp / otlphttp exporters to a sink built on sluice's receiver: every span, data point and log
// record must arrive with the content the SDK serialised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context as contextApi, trace as traceApi, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ProtobufTraceSerializer, ProtobufMetricsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceHttpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter as MetricGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricHttpJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPLogExporter as LogGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogHttpJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../src/pdata/types.js';
import { idToHex } from '../../src/pdata/ids.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { receiverPorts, startService } from '../helpers/service.js';
import type { Service } from '../../src/service/service.js';
import { canon } from '../helpers/canon.js';

type Transport = 'grpc' | 'json' | 'proto';
const TRANSPORTS: Transport[] = ['grpc', 'json', 'proto'];

/** Flattens a request into items keyed so that the same item from two paths meets. */
function flatten(signal: Signal, data: SignalData[Signal], out: Map<string, unknown>): void {
  if (signal === 'traces') {
    for (const rs of (data as TracesData).resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const span of ss.spans)
          out.set(idToHex(span.spanId), canon({ resource: rs.resource, resourceSchema: rs.schemaUrl, scope: ss.scope, scopeSchema: ss.schemaUrl, span }));
  } else if (signal === 'metrics') {
    for (const rm of (data as MetricsData).resourceMetrics)
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) {
          const { gauge, sum, histogram, exponentialHistogram, summary, ...header } = m;
          const body = gauge ?? sum ?? histogram ?? exponentialHistogram ?? summary;
          const { dataPoints, ...kind } = body as { dataPoints: unknown[] };
          for (const dp of dataPoints)
            out.set(`${m.name}|${JSON.stringify(canon((dp as { attributes: unknown }).attributes))}`, canon({ resource: rm.resource, scope: sm.scope, header, kind, dp }));
        }
  } else {
    for (const rl of (data as LogsData).resourceLogs)
      for (const sl of rl.scopeLogs)
        for (const lr of sl.logRecords) out.set(`${lr.eventName}|${lr.severityText}|${JSON.stringify(canon(lr.body))}`, canon({ resource: rl.resource, scope: sl.scope, lr }));
  }
}

/** Wraps an SDK exporter so the test also keeps, serialised by the SDK's own serializer, exactly what it sent. */
function recording<T extends { export(items: never, cb: (r: { code: number }) => void): void }>(
  inner: T,
  serialize: (items: never) => Uint8Array | undefined,
  signal: Signal,
  expected: Map<string, unknown>,
): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'export') {
        return (items: never, cb: (r: { code: number }) => void) => {
          flatten(signal, otlpCodecs[signal].decode(serialize(items)!), expected);
          target.export(items, cb);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function traceExporter(t: Transport, grpcPort: number, httpPort: number): SpanExporter {
  if (t === 'grpc') return new TraceGrpc({ url: `http://127.0.0.1:${grpcPort}` });
  if (t === 'json') return new TraceHttpJson({ url: `http://127.0.0.1:${httpPort}/v1/traces` });
  return new TraceProto({ url: `http://127.0.0.1:${httpPort}/v1/traces` });
}
function metricExporter(t: Transport, grpcPort: number, httpPort: number): PushMetricExporter {
  const temporalityPreference = AggregationTemporality.CUMULATIVE;
  if (t === 'grpc') return new MetricGrpc({ url: `http://127.0.0.1:${grpcPort}`, temporalityPreference });
  if (t === 'json') return new MetricHttpJson({ url: `http://127.0.0.1:${httpPort}/v1/metrics`, temporalityPreference });
  return new MetricProto({ url: `http://127.0.0.1:${httpPort}/v1/metrics`, temporalityPreference });
}
function logExporter(t: Transport, grpcPort: number, httpPort: number): LogRecordExporter {
  if (t === 'grpc') return new LogGrpc({ url: `http://127.0.0.1:${grpcPort}` });
  if (t === 'json') return new LogHttpJson({ url: `http://127.0.0.1:${httpPort}/v1/logs` });
  return new LogProto({ url: `http://127.0.0.1:${httpPort}/v1/logs` });
}

const resource = resourceFromAttributes({
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.instance.id': 'pod-7',
  'host.cores': 8,
  'deployment.canary': false,
  'process.command_args': ['node', 'app.js', '--port=8080'],
});

async function sendEverything(grpcPort: number, httpPort: number, expected: Record<Signal, Map<string, unknown>>): Promise<Record<Signal, number>> {
  const counts = { traces: 0, metrics: 0, logs: 0 };
  for (const t of TRANSPORTS) {
    const tracerProvider = new BasicTracerProvider({
      resource,
      spanProcessors: [
        new SimpleSpanProcessor(
          recording(traceExporter(t, grpcPort, httpPort), (s: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(s), 'traces', expected.traces),
        ),
      ],
    });
    const tracer = tracerProvider.getTracer(`sdk-${t}`, '1.2.3');
    for (let i = 0; i < 10; i++) {
      const parent = tracer.startSpan(`GET /cart/${t}/${i}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 + i, 'retry.ratio': 0.25 * i, 'feature.flags': ['a', 'b'], 'cache.hit': i % 2 === 0 },
      });
      const ctx = traceApi.setSpan(contextApi.active(), parent);
      const child = tracer.startSpan(`SELECT cart ${t} ${i}`, { kind: SpanKind.CLIENT, links: [{ context: parent.spanContext(), attributes: { 'link.kind': 'follows' } }] }, ctx);
      child.addEvent('row fetched', { 'db.rows': i });
      child.setStatus(i % 3 === 0 ? { code: SpanStatusCode.ERROR, message: `boom ${i}` } : { code: SpanStatusCode.OK });
      child.end();
      parent.end();
      counts.traces += 2;
    }
    await tracerProvider.forceFlush();
    await tracerProvider.shutdown();

    const meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: recording(metricExporter(t, grpcPort, httpPort), (m: ResourceMetrics) => ProtobufMetricsSerializer.serializeRequest(m), 'metrics', expected.metrics),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
    const meter = meterProvider.getMeter(`meter-${t}`, '0.1.0');
    const counter = meter.createCounter(`requests_${t}`, { unit: '1', description: 'requests' });
    const histogram = meter.createHistogram(`latency_${t}`, { unit: 'ms' });
    const updown = meter.createUpDownCounter(`queue_depth_${t}`);
    meter.createObservableGauge(`temperature_${t}`, { unit: 'Cel' }).addCallback((r) => r.observe(21.5, { room: 'server' }));
    for (let i = 0; i < 5; i++) {
      counter.add(i + 1, { route: `/r${i}` });
      histogram.record(3.5 * i, { route: `/r${i}` });
      updown.add(i % 2 ? -1 : 2, { queue: 'q' });
    }
    // Shutdown collects and exports once more; a forceFlush first would send every point twice.
    await meterProvider.shutdown();
    counts.metrics += 5 + 5 + 1 + 1;

    const loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new SimpleLogRecordProcessor({
          exporter: recording(logExporter(t, grpcPort, httpPort), (l: ReadableLogRecord[]) => ProtobufLogsSerializer.serializeRequest(l), 'logs', expected.logs),
        }),
      ],
    });
    const logger = loggerProvider.getLogger(`logger-${t}`, '3.0.0');
    for (let i = 0; i < 10; i++) {
      logger.emit({
        severityNumber: 9 + (i % 4),
        severityText: `INFO-${t}-${i}`,
        body: i % 2 ? `line ${i} via ${t}` : { message: `structured ${i}`, nested: { list: [1, 'two', true], bytes: new Uint8Array([1, 2, 3]) } },
        attributes: { 'log.index': i, 'log.transport': t },
        eventName: `event-${t}`,
        timestamp: [1_700_000_000, 123_456_789 + i],
      });
      counts.logs++;
    }
    await loggerProvider.forceFlush();
    await loggerProvider.shutdown();
  }
  return counts;
}

function receivedItems(sink: Sink, signal: Signal): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const r of sink.received[signal]) flatten(signal, r.data, out);
  return out;
}

for (const exporter of ['otlp', 'otlphttp/proto', 'otlphttp/json'] as const) {
  test(`SDK exporters (grpc, http/json, http/proto) -> sluice -> ${exporter} -> sink: identical content`, async () => {
    let sink: Sink | undefined;
    let front: Service | undefined;
    try {
      sink = await startSink();
      const exporterYaml =
        exporter === 'otlp'
          ? `otlp/out: { endpoint: "127.0.0.1:${sink.grpcPort}", tls: { insecure: true } }`
          : `otlphttp/out: { endpoint: "http://127.0.0.1:${sink.httpPort}", encoding: ${exporter.split('/')[1]} }`;
      const exporterId = exporter === 'otlp' ? 'otlp/out' : 'otlphttp/out';
      front = await startService(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
      http: { endpoint: "127.0.0.1:0" }
processors:
  batch: { timeout: 20ms }
exporters:
  ${exporterYaml}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [${exporterId}] }
    metrics: { receivers: [otlp], processors: [batch], exporters: [${exporterId}] }
    logs: { receivers: [otlp], processors: [batch], exporters: [${exporterId}] }
`);
      const ports = receiverPorts(front);
      const expected = { traces: new Map<string, unknown>(), metrics: new Map<string, unknown>(), logs: new Map<string, unknown>() };
      const counts = await sendEverything(ports.grpc!, ports.http!, expected);
      for (const signal of ['traces', 'metrics', 'logs'] as const) {
        assert.equal(expected[signal].size, counts[signal], `the SDK serialised every ${signal} item`);
        await sink.waitForItems(signal, counts[signal]);
        assert.equal(sink.items[signal], counts[signal], `no duplicated ${signal}`);
        assert.deepEqual(receivedItems(sink, signal), expected[signal], `${signal} content`);
      }
    } finally {
      await front?.shutdown();
      await sink?.close();
    }
  });
}

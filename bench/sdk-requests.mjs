// The bench's load, serialized by the OpenTelemetry JS SDK as an application would send it: one
// request per signal of 100 items, each with ten attributes, under a resource of ten. The SDK's
// providers record into memory; otlp-transformer's protobuf serializers encode what they recorded.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

export const ITEMS_PER_REQUEST = 100;

const resource = resourceFromAttributes({
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.version': '1.42.0',
  'service.instance.id': 'checkout-7d9f8-abcde',
  'host.name': 'node-17.eu-west-1',
  'cloud.provider': 'aws',
  'cloud.region': 'eu-west-1',
  'k8s.namespace.name': 'prod',
  'k8s.pod.name': 'checkout-7d9f8-abcde',
  'telemetry.sdk.language': 'nodejs',
});

const httpAttributes = (i) => ({
  'http.request.method': 'GET',
  'http.route': '/api/cart/{id}',
  'http.response.status_code': 200,
  'url.scheme': 'https',
  'server.address': 'shop.example.com',
  'server.port': 443,
  'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
  'client.address': `10.1.2.${i % 250}`,
  'network.protocol.version': '1.1',
  'app.cart.items': i % 7,
});

/** 100 server spans; the first span's id is returned so the bench can mark it per request. */
async function tracesRequest() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('bench', '1.0.0');
  for (let i = 0; i < ITEMS_PER_REQUEST; i++) {
    const span = tracer.startSpan('GET /api/cart/{id}', { kind: SpanKind.SERVER, attributes: httpAttributes(i) });
    span.setStatus({ code: SpanStatusCode.OK });
    span.end();
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return { bytes: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)), firstSpanId: Buffer.from(spans[0].spanContext().spanId, 'hex') };
}

/** 100 cumulative-sum points: one counter, 100 attribute sets of ten. */
async function metricsRequest() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const counter = provider.getMeter('bench', '1.0.0').createCounter('http.server.requests', { unit: '{request}' });
  for (let i = 0; i < ITEMS_PER_REQUEST; i++) counter.add(i + 1, httpAttributes(i));
  await provider.forceFlush();
  const [collected] = exporter.getMetrics();
  await provider.shutdown();
  return { bytes: Buffer.from(ProtobufMetricsSerializer.serializeRequest(collected)) };
}

/** 100 log records with a body and ten attributes. */
async function logsRequest() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('bench', '1.0.0');
  for (let i = 0; i < ITEMS_PER_REQUEST; i++) logger.emit({ severityNumber: 9, severityText: 'INFO', body: `GET /api/cart/${i} 200 in 1.5 ms`, attributes: httpAttributes(i) });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return { bytes: Buffer.from(ProtobufLogsSerializer.serializeRequest(records)) };
}

/** Per signal, one encoded Export request of ITEMS_PER_REQUEST items (traces also give their first span's id). */
export async function sdkRequests() {
  return { traces: await tracesRequest(), metrics: await metricsRequest(), logs: await logsRequest() };
}

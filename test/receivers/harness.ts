// Starts the otlp receiver with a recording consumer whose answer the test chooses.
import { asyncScheduler } from 'rxjs';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { otlpReceiverFactory, type OtlpReceiver } from '../../src/receivers/otlp/factory.js';
import type { Consumer } from '../../src/pipeline/component.js';
import type { Envelope } from '../../src/pipeline/envelope.js';
import type { Signal } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

export interface ReceiverHarness {
  receiver: OtlpReceiver;
  telemetry: Telemetry;
  envelopes: Envelope[];
  answer: (e: Envelope) => void;
  grpcPort: number;
  httpPort: number;
  close(): Promise<void>;
}

export async function startReceiver(
  protocols: Record<string, unknown>,
  signals: Signal[] = ['traces', 'metrics', 'logs'],
  logger: Logger = createLogger('silent'),
): Promise<ReceiverHarness> {
  const telemetry = new Telemetry();
  const h = { telemetry, envelopes: [] as Envelope[], answer: (e: Envelope) => e.ack() } as ReceiverHarness;
  const consumer: Consumer = {
    mutates: false,
    consume(e) {
      h.envelopes.push(e);
      h.answer(e);
    },
  };
  const issues: { message: string }[] = [];
  const config = otlpReceiverFactory.schema.parse({ protocols }, { issues: issues as never }, ['receivers', 'otlp']);
  if (!config) throw new Error(issues.map((i) => i.message).join('; '));
  h.receiver = otlpReceiverFactory.create(
    { id: 'otlp', kind: 'receiver', logger, telemetry, scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined },
    config,
    Object.fromEntries(signals.map((s) => [s, consumer])),
  ) as OtlpReceiver;
  await h.receiver.start();
  h.grpcPort = h.receiver.ports().grpc ?? 0;
  h.httpPort = h.receiver.ports().http ?? 0;
  h.close = () => h.receiver.shutdown(Date.now() + 1000);
  return h;
}

export async function metricValue(telemetry: Telemetry, pattern: RegExp): Promise<number> {
  const m = pattern.exec(await telemetry.render());
  return m ? Number(m[1]) : 0;
}

/** Polls a metric (bounded) until it reaches `atLeast`, for effects that land after the client has its answer. */
export async function metricReaches(telemetry: Telemetry, pattern: RegExp, atLeast: number): Promise<number> {
  let value = await metricValue(telemetry, pattern);
  for (let i = 0; i < 250 && value < atLeast; i++) {
    await sleep(20);
    value = await metricValue(telemetry, pattern);
  }
  return value;
}

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface SdkPayload {
  signal: Signal;
  /** Spans, data points or log records the payload holds. */
  items: number;
  proto: Uint8Array;
  json: Uint8Array;
}

/** One request per signal as the OpenTelemetry JS SDK serializes it, in protobuf and in JSON. */
export async function sdkPayloads(): Promise<SdkPayload[]> {
  const spanExporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] }).getTracer('t');
  for (const name of ['a', 'b']) tracer.startSpan(name).end();
  const spans = spanExporter.getFinishedSpans();

  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const counter = meterProvider.getMeter('m').createCounter('requests');
  for (const route of ['/a', '/b', '/c']) counter.add(1, { route });
  const { resourceMetrics } = await reader.collect();
  await meterProvider.shutdown();

  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  for (let i = 0; i < 4; i++) loggerProvider.getLogger('l').emit({ body: `line ${i}` });
  const records = logExporter.getFinishedLogRecords();
  await loggerProvider.shutdown();

  return [
    { signal: 'traces', items: 2, proto: ProtobufTraceSerializer.serializeRequest(spans)!, json: JsonTraceSerializer.serializeRequest(spans)! },
    { signal: 'metrics', items: 3, proto: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!, json: JsonMetricsSerializer.serializeRequest(resourceMetrics)! },
    { signal: 'logs', items: 4, proto: ProtobufLogsSerializer.serializeRequest(records)!, json: JsonLogsSerializer.serializeRequest(records)! },
  ];
}

// pipelines/tempo.yaml and tempo-http.yaml, run as shipped with only the addresses overridden:
// spans sent by the OpenTelemetry SDK reach a Tempo stand-in with the tenant header intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { startSink, type Sink } from '../helpers/sink.js';
import { receiverPorts, startServiceFromFiles } from '../helpers/service.js';
import type { Service } from '../../src/service/service.js';

const example = (name: string) => fileURLToPath(new URL(`../../pipelines/${name}`, import.meta.url));

for (const [file, exporterSet] of [
  ['tempo.yaml', (sink: Sink) => `exporters.otlp/tempo.endpoint=127.0.0.1:${sink.grpcPort}`],
  ['tempo-http.yaml', (sink: Sink) => `exporters.otlphttp/tempo.endpoint=http://127.0.0.1:${sink.httpPort}`],
] as const) {
  test(`${file}: spans reach Tempo with X-Scope-OrgID`, async () => {
    let sink: Sink | undefined;
    let service: Service | undefined;
    try {
      sink = await startSink({ includeMetadata: true });
      service = await startServiceFromFiles(
        [example(file)],
        [
          'receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0',
          'receivers.otlp.protocols.http.endpoint=127.0.0.1:0',
          'service.telemetry.metrics.level=none',
          'processors.batch.timeout=10ms',
          exporterSet(sink),
        ],
      );
      const provider = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${receiverPorts(service).grpc}` }))],
      });
      const tracer = provider.getTracer('tempo-test');
      for (let i = 0; i < 3; i++) tracer.startSpan(`span-${i}`).end();
      await provider.forceFlush();
      await provider.shutdown();
      await sink.waitForItems('traces', 3);
      for (const r of sink.received.traces) assert.deepEqual(r.metadata.get('x-scope-orgid'), ['tenant-a']);
    } finally {
      await service?.shutdown();
      await sink?.close();
    }
  });
}

// pipelines/tempo.yaml, tempo-http.yaml and tempo-multitenant.yaml, run as shipped with only the
// addresses overridden: spans sent by the OpenTelemetry SDK reach Tempo stand-ins with the tenant
// header intact (and, multi-tenant, each tenant's spans at its own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPHttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
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

test('tempo-multitenant.yaml: each tenant reaches Tempo with its own X-Scope-OrgID, by request header or resource attribute', async () => {
  const sinks: Record<string, Sink> = {};
  let service: Service | undefined;
  try {
    for (const tenant of ['acme', 'globex', 'shared']) sinks[tenant] = await startSink({ includeMetadata: true });
    service = await startServiceFromFiles(
      [example('tempo-multitenant.yaml')],
      [
        'receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0',
        'receivers.otlp.protocols.http.endpoint=127.0.0.1:0',
        'service.telemetry.metrics.level=none',
        'processors.batch.timeout=10ms',
        ...Object.entries(sinks).map(([tenant, sink]) => `exporters.otlp/tempo-${tenant}.endpoint=127.0.0.1:${sink.grpcPort}`),
      ],
    );
    const { http } = receiverPorts(service);
    const sendSpans = async (names: string[], options: { header?: string; tenantAttribute?: string }) => {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes(options.tenantAttribute ? { 'service.name': 'shop', tenant: options.tenantAttribute } : { 'service.name': 'shop' }),
        spanProcessors: [
          new SimpleSpanProcessor(new OTLPHttpTraceExporter({ url: `http://127.0.0.1:${http}/v1/traces`, headers: options.header ? { 'x-tenant': options.header } : {} })),
        ],
      });
      for (const name of names) provider.getTracer('multitenant-test').startSpan(name).end();
      await provider.forceFlush();
      await provider.shutdown();
    };
    await sendSpans(['acme-1', 'acme-2'], { header: 'acme' });
    await sendSpans(['globex-1'], { tenantAttribute: 'globex' });
    await sendSpans(['nobody-1'], {});
    await sendSpans(['unknown-1'], { header: 'initech' });
    const expected: Record<string, string[]> = { acme: ['acme-1', 'acme-2'], globex: ['globex-1'], shared: ['nobody-1', 'unknown-1'] };
    for (const [tenant, names] of Object.entries(expected)) {
      const sink = sinks[tenant]!;
      await sink.waitForItems('traces', names.length);
      const got = sink.received.traces.flatMap((r) => r.data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))));
      assert.deepEqual(got.sort(), names, `tenant ${tenant}`);
      for (const r of sink.received.traces) assert.deepEqual(r.metadata.get('x-scope-orgid'), [tenant]);
    }
  } finally {
    await service?.shutdown();
    for (const sink of Object.values(sinks)) await sink.close();
  }
});

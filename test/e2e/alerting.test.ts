// pipelines/alerting.yaml end to end: spans and logs from the OpenTelemetry JS SDK become RED
// metrics (spanmetrics) and error-log counts (count), the alerting processor evaluates the file's
// rules and generated SLO alerts on them, and the alerts reach a real Alertmanager, with the
// critical one paging PagerDuty (a loopback receiver) and the inhibited warning held back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { receiverPorts, startServiceFromFiles, writeTempConfig } from '../helpers/service.js';
import { freePort } from '../helpers/ports.js';
import { ALERTMANAGER_BIN, pollUntil, requireProgram, startAlertmanager, startReceiver, type ChildServer, type Receiver } from '../helpers/alert-servers.js';
import type { Service } from '../../src/service/service.js';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}

test('pipelines/alerting.yaml: SDK spans and logs → spanmetrics/count → alerting → Alertmanager and PagerDuty', { skip: requireProgram(ALERTMANAGER_BIN) }, async () => {
  // The example's `for:` durations are production ones; the test cannot wait minutes for them.
  const example = readFileSync(fileURLToPath(new URL('../../pipelines/alerting.yaml', import.meta.url)), 'utf8');
  const file = writeTempConfig(example.replace(/for: \d+m/g, 'for: 0s'), 'alerting.yaml');
  let alertmanager: ChildServer | undefined;
  let pagerduty: Receiver | undefined;
  let service: Service | undefined;
  const providers: { shutdown(): Promise<void> }[] = [];
  try {
    alertmanager = await startAlertmanager();
    pagerduty = await startReceiver();
    pagerduty.answer = () => ({ status: 202, body: '{"status":"success"}' });
    service = await startServiceFromFiles(
      [file],
      [
        'receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0',
        'receivers.otlp.protocols.http.endpoint=127.0.0.1:0',
        'service.telemetry.metrics.address=127.0.0.1:0',
        'processors.batch.timeout=10ms',
        'connectors.spanmetrics.metrics_flush_interval=500ms',
        'processors.alerting.evaluation_interval=1s',
        `processors.alerting.notifiers.alertmanager.endpoint=http://127.0.0.1:${alertmanager.port}`,
        `processors.alerting.notifiers.pagerduty/oncall.endpoint=${pagerduty.url}/v2/enqueue`,
        'processors.alerting.notifiers.pagerduty/oncall.routing_key=test-routing-key',
        'processors.alerting.notifiers.pagerduty/oncall.group_wait=1s',
        `exporters.prometheus.endpoint=127.0.0.1:${await freePort()}`,
      ],
    );
    const url = `http://127.0.0.1:${receiverPorts(service).grpc}`;
    const tracer = (service: string) => {
      const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))] });
      providers.push(provider);
      return { tracer: provider.getTracer('alerting-e2e'), provider };
    };
    const checkout = tracer('checkout');
    const search = tracer('search');
    const logs = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout' }), processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url }) })] });
    providers.push(logs);
    const logger = logs.getLogger('alerting-e2e');

    // Half of checkout's spans fail; every search span takes 800 ms; checkout logs errors steadily.
    const sendRound = async () => {
      const now = Date.now();
      for (let i = 0; i < 10; i++) {
        const span = checkout.tracer.startSpan('POST /pay', { kind: SpanKind.SERVER, startTime: now - 20 });
        if (i % 2) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end(now);
        search.tracer.startSpan('GET /search', { kind: SpanKind.SERVER, startTime: now - 800 }).end(now);
        logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: `payment failed ${i}` });
      }
      await Promise.all([checkout.provider.forceFlush(), search.provider.forceFlush(), logs.forceFlush()]);
    };

    const amAlerts = async (): Promise<AmAlert[]> => (await (await fetch(`http://127.0.0.1:${alertmanager!.port}/api/v2/alerts`)).json()) as AmAlert[];
    const names = (list: AmAlert[]) => new Set(list.map((a) => `${a.labels.alertname}/${a.labels.service_name ?? a.labels.slo}`));
    let seen: AmAlert[] = [];
    await pollUntil(
      async () => {
        await sendRound();
        seen = await amAlerts();
        const got = names(seen);
        return got.has('HighSpanErrorRatio/checkout') && got.has('HighP99Latency/search') && got.has('CheckoutAvailabilityErrorBudgetBurn/checkout-availability');
      },
      60_000,
      () => `alerts in Alertmanager: ${[...names(seen)].join(', ') || 'none'}`,
    );

    const ratio = seen.find((a) => a.labels.alertname === 'HighSpanErrorRatio')!;
    assert.equal(ratio.status.state, 'active');
    assert.deepEqual(ratio.labels, { alertname: 'HighSpanErrorRatio', service_name: 'checkout', severity: 'critical', gateway: 'sluice' });
    assert.equal(ratio.annotations.summary, 'checkout: 50% of spans fail');
    const latency = seen.find((a) => a.labels.alertname === 'HighP99Latency')!;
    assert.deepEqual(latency.labels, { alertname: 'HighP99Latency', service_name: 'search', severity: 'warning', gateway: 'sluice' });
    assert.match(latency.annotations.summary!, /^search: p99 latency is \d+ ms$/);
    const slo = seen.find((a) => a.labels.alertname === 'CheckoutAvailabilityErrorBudgetBurn')!;
    assert.equal(slo.labels.severity, 'critical');
    assert.equal(slo.labels.team, 'payments');

    // The error-log alert fires in sluice, but a critical alert for the same service inhibits it.
    const status = `http://127.0.0.1:${service.metricsPort()}`;
    await pollUntil(
      async () => {
        await sendRound();
        const body = (await (await fetch(`${status}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
        return body.data.alerts.some((a) => a.labels.alertname === 'ErrorLogRate' && a.labels.service_name === 'checkout' && a.state === 'firing');
      },
      30_000,
      () => 'ErrorLogRate firing in /api/v1/alerts',
    );
    await sendRound();
    assert.ok(!names(await amAlerts()).has('ErrorLogRate/checkout'), 'inhibited by the critical HighSpanErrorRatio for checkout');

    await pollUntil(() => pagerduty!.requests.length > 0, 20_000, () => 'a PagerDuty event');
    const events = pagerduty.requests.map((r) => r.body as { routing_key: string; event_action: string; payload: { summary: string; severity: string; custom_details: unknown } });
    assert.ok(events.every((e) => e.routing_key === 'test-routing-key' && e.event_action === 'trigger'));
    assert.ok(events.every((e) => e.payload.severity === 'critical'), 'only critical alerts page');
    assert.ok(!JSON.stringify(events).includes('HighP99Latency'), 'warnings do not page');
  } finally {
    await Promise.all(providers.map((p) => p.shutdown().catch(() => {})));
    await service?.shutdown();
    alertmanager?.stop();
    await pagerduty?.close();
  }
});

// `prometheus`: serves the metrics that pass through as a Prometheus scrape target. The
// "sender" on the shared exporter helper folds each batch into the series a scrape reads.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { s, type Infer } from '../../config/schema.js';
import { endpointProblem } from '../../config/endpoint.js';
import { closeServer, listen } from '../../net/listen.js';
import type { Exporter, ExporterFactory } from '../../pipeline/component.js';
import { createExporter, DIRECT_EXPORT, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { MetricsData } from '../../pdata/types.js';
import { Accumulator } from './accumulator.js';
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, writeExposition } from './writer.js';

const prometheusExporterSchema = s.object({
  endpoint: s.string().default('0.0.0.0:8889').refine(endpointProblem),
  namespace: s.string().optional(),
  const_labels: s.map(s.string()).default({}),
  send_timestamps: s.bool().default(false),
  /** Series not updated for this long disappear from the scrape. */
  metric_expiration: s.duration().default(5 * 60_000),
  enable_open_metrics: s.bool().default(false),
  add_metric_suffixes: s.bool().default(true),
  resource_to_telemetry_conversion: s.object({ enabled: s.bool().default(false) }),
});

export type PrometheusExporterConfig = Infer<typeof prometheusExporterSchema>;

export interface PrometheusExporter extends Exporter {
  port(): number;
}

class ScrapeTarget implements ExportSender<'metrics'> {
  private server: Server | undefined;

  constructor(
    private readonly config: PrometheusExporterConfig,
    private readonly accumulator: Accumulator,
  ) {}

  async send(data: MetricsData): Promise<void> {
    this.accumulator.add(data);
  }

  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
        return;
      }
      const openMetrics = this.config.enable_open_metrics && /application\/openmetrics-text/.test(req.headers.accept ?? '');
      const body = writeExposition(this.accumulator.read(), { openMetrics, sendTimestamps: this.config.send_timestamps });
      res.writeHead(200, { 'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE }).end(body);
    });
    this.server = server;
    await listen(server, this.config.endpoint);
  }

  shutdown(): Promise<void> {
    return closeServer(this.server);
  }
}

export const prometheusExporterFactory: ExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  description: 'serves metrics for Prometheus to scrape (text format, or OpenMetrics with exemplars)',
  signals: ['metrics'],
  schema: prometheusExporterSchema,
  create(settings, config): PrometheusExporter {
    const accumulator = new Accumulator({
      namespace: config.namespace,
      addSuffixes: config.add_metric_suffixes,
      constLabels: config.const_labels,
      resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
      expirationMs: config.metric_expiration,
      now: () => settings.scheduler.now(),
    });
    const target = new ScrapeTarget(config, accumulator);
    const exporter = createExporter(settings, 'metrics', DIRECT_EXPORT, target);
    return Object.assign(exporter, { port: () => target.port() });
  },
};

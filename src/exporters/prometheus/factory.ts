// `prometheus`: serves the metrics that pass through as a Prometheus scrape target. The
// "sender" on the shared exporter helper folds each batch into the series a scrape reads.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { s, type Infer } from '../../config/schema.js';
import { endpointProblem } from '../../config/endpoint.js';
import { closeServer, listen } from '../../net/listen.js';
import type { CreateSettings, Exporter, ExporterFactory } from '../../pipeline/component.js';
import { createExporter, DIRECT_EXPORT, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { MetricsData } from '../../pdata/types.js';
import { Accumulator, type AccumulatorEvents } from './accumulator.js';
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, writeExposition } from './writer.js';

const prometheusExporterSchema = s.object({
  endpoint: s.string().default('0.0.0.0:8889').refine(endpointProblem),
  namespace: s.string().optional(),
  const_labels: s.map(s.string()).default({}),
  send_timestamps: s.bool().default(false),
  /** Series not updated for this long disappear from the scrape and from memory. */
  metric_expiration: s.duration().default(5 * 60_000),
  /** sluice's own: series held at most; absent means sized to the heap (defaultMaxSeries). */
  max_series: s.int({ min: 1 }).optional(),
  enable_open_metrics: s.bool().default(false),
  add_metric_suffixes: s.bool().default(true),
  resource_to_telemetry_conversion: s.object({ enabled: s.bool().default(false) }),
});

export type PrometheusExporterConfig = Infer<typeof prometheusExporterSchema>;

/**
 * Heap one held series costs (label pairs, map key, point), rounded up from measurements: about
 * 1.7 KiB for a gauge with seven short labels, as test/exporters/prometheus-flood.test.ts prints,
 * and 2.1 KiB for a 16-bucket histogram.
 */
export const BYTES_PER_SERIES = 2048;

/**
 * A quarter of V8's heap limit, so the series (and the exposition text a scrape builds from them)
 * leave the rest of the heap to queues and in-flight requests.
 */
export function defaultMaxSeries(heapSizeLimit = getHeapStatistics().heap_size_limit): number {
  return Math.floor(heapSizeLimit / 4 / BYTES_PER_SERIES);
}

/** A dead series stays in memory at most a quarter of metric_expiration longer, without sweeping more than once a second. */
function sweepInterval(expirationMs: number): number {
  return Math.max(1000, expirationMs / 4);
}

export interface PrometheusExporter extends Exporter {
  port(): number;
}

class ScrapeTarget implements ExportSender<'metrics'> {
  private server: Server | undefined;
  private sweeper: Subscription | undefined;

  constructor(
    private readonly config: PrometheusExporterConfig,
    private readonly accumulator: Accumulator,
    private readonly scheduler: SchedulerLike,
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
    const interval = sweepInterval(this.config.metric_expiration);
    const accumulator = this.accumulator;
    this.sweeper = this.scheduler.schedule(function (this: SchedulerAction<unknown>) {
      accumulator.expire();
      this.schedule(undefined, interval);
    }, interval);
  }

  shutdown(): Promise<void> {
    this.sweeper?.unsubscribe();
    return closeServer(this.server);
  }
}

function boundsTelemetry(settings: CreateSettings, maxSeries: number, held: () => number): AccumulatorEvents {
  const labels = { exporter: settings.id };
  const { telemetry, logger } = settings;
  telemetry.callbackGauge('sluice_exporter_prometheus_series', 'Series the prometheus exporter holds for scraping.', labels, held);
  telemetry.callbackGauge('sluice_exporter_prometheus_series_limit', 'Series the prometheus exporter holds at most (max_series).', labels, () => maxSeries);
  const dropped = telemetry
    .counter('sluice_exporter_prometheus_points_dropped_total', 'Points the prometheus exporter dropped because each would have started a series beyond max_series.', ['exporter'])
    .labels(labels);
  const expired = telemetry
    .counter('sluice_exporter_prometheus_series_expired_total', 'Series the prometheus exporter removed after metric_expiration without an update.', ['exporter'])
    .labels(labels);
  return {
    dropped: (n) => dropped.inc(n),
    expired: (n) => expired.inc(n),
    limitReached: (series) => logger.warn({ max_series: maxSeries, series }, 'max_series reached: points of new series are dropped until series expire; existing series keep updating'),
    limitCleared: (series) => logger.info({ max_series: maxSeries, series }, 'below max_series again: new series are accepted'),
  };
}

export const prometheusExporterFactory: ExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  description: 'serves metrics for Prometheus to scrape (text format, or OpenMetrics with exemplars)',
  signals: ['metrics'],
  schema: prometheusExporterSchema,
  create(settings, config): PrometheusExporter {
    const maxSeries = config.max_series ?? defaultMaxSeries();
    const accumulator: Accumulator = new Accumulator({
      namespace: config.namespace,
      addSuffixes: config.add_metric_suffixes,
      constLabels: config.const_labels,
      resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
      expirationMs: config.metric_expiration,
      maxSeries,
      now: () => settings.scheduler.now(),
      events: boundsTelemetry(settings, maxSeries, () => accumulator.size),
    });
    settings.logger.debug({ max_series: maxSeries, sized_to_heap: config.max_series === undefined, metric_expiration_ms: config.metric_expiration }, 'series bounds');
    const target = new ScrapeTarget(config, accumulator, settings.scheduler);
    const exporter = createExporter(settings, 'metrics', DIRECT_EXPORT, target);
    return Object.assign(exporter, { port: () => target.port() });
  },
};

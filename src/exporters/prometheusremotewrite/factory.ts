// `prometheusremotewrite`: metrics to Prometheus, VictoriaMetrics, Mimir, Thanos or Cortex over
// remote write 1.0 (snappy-compressed protobuf). Encoding here; queueing and retries in the helper.
import type http from 'node:http';
import snappy from 'snappy';
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { encodeWriteRequest, splitSeries, toRemoteSeries, type RemoteWriteOptions } from '../../codec/prometheus-remote-write.js';
import { clientTlsSchema } from '../client-tls.js';
import { httpPost, keepAliveAgent, throwUnlessOk } from '../http-post.js';

// The queue is configured as remote_write_queue below; timeout and retries are the helper's own.
const { timeout, retry_on_failure } = exporterHelperConfig;

const remoteWriteSchema = s.object({
  endpoint: s.string().required().refine((v) => (/^https?:\/\//.test(v) ? undefined : `expected an http:// or https:// URL, got "${v}"`)),
  headers: s.map(s.string()).default({}),
  external_labels: s.map(s.string()).default({}),
  namespace: s.string().optional(),
  /** Requests are split so each stays under this many (estimated) bytes before compression. */
  max_batch_size_bytes: s.int({ min: 1024 }).default(3_000_000),
  add_metric_suffixes: s.bool().default(true),
  resource_to_telemetry_conversion: s.object({ enabled: s.bool().default(false) }),
  target_info: s.object({ enabled: s.bool().default(true) }),
  tls: clientTlsSchema,
  // The Collector's remote-write exporter calls its queue remote_write_queue.
  remote_write_queue: s.object({
    enabled: s.bool().default(true),
    queue_size: s.int({ min: 1 }).default(10_000),
    num_consumers: s.int({ min: 1 }).default(5),
  }),
  timeout,
  retry_on_failure,
});

export type RemoteWriteConfig = Infer<typeof remoteWriteSchema>;

class RemoteWriteSender implements ExportSender<'metrics'> {
  private warnedDelta = false;

  constructor(
    private readonly url: URL,
    private readonly options: RemoteWriteOptions,
    private readonly config: RemoteWriteConfig,
    private readonly agent: http.Agent,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {}

  async send(data: MetricsData, _context: unknown, abort: AbortSignal): Promise<void> {
    const { series, droppedDeltaPoints } = toRemoteSeries(data, this.options);
    if (droppedDeltaPoints > 0) {
      this.telemetry.sendFailed(droppedDeltaPoints);
      if (!this.warnedDelta) {
        this.warnedDelta = true;
        this.logger.warn({ dropped_points: droppedDeltaPoints }, 'Remote write carries cumulative data only: delta points dropped (add a deltatocumulative processor)');
      }
    }
    for (const group of splitSeries(series, this.config.max_batch_size_bytes)) {
      const body = snappy.compressSync(Buffer.from(encodeWriteRequest(group)));
      const reply = await httpPost(
        this.url,
        body,
        {
          ...this.config.headers,
          'content-encoding': 'snappy',
          'content-type': 'application/x-protobuf',
          'x-prometheus-remote-write-version': '0.1.0',
          'user-agent': 'sluice',
        },
        this.agent,
        abort,
      );
      // The remote write specification: senders must retry every 5xx, and 429.
      throwUnlessOk(reply, { anyServerError: true });
    }
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }
}

export const prometheusRemoteWriteExporterFactory: ExporterFactory<RemoteWriteConfig> = {
  kind: 'exporter',
  type: 'prometheusremotewrite',
  description: 'sends metrics over Prometheus remote write 1.0 (snappy protobuf)',
  signals: ['metrics'],
  schema: remoteWriteSchema,
  create(settings, config) {
    const url = new URL(config.endpoint);
    const options: RemoteWriteOptions = {
      namespace: config.namespace,
      addSuffixes: config.add_metric_suffixes,
      constLabels: {},
      externalLabels: config.external_labels,
      resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
      targetInfo: config.target_info.enabled,
    };
    const sender = new RemoteWriteSender(url, options, config, keepAliveAgent(url, config.tls), settings.telemetry.exporter(settings.id, 'metrics'), settings.logger);
    return createExporter(settings, 'metrics', { ...config, sending_queue: config.remote_write_queue }, sender);
  },
};

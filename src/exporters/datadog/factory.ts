// `datadog` (metrics): series to Datadog's API v2 (or v1, which Datadog-compatible backends such
// as VictoriaMetrics accept), gzip JSON with DD-API-KEY. Traces and logs join this component later.
import type http from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { clientTlsSchema } from '../client-tls.js';
import { httpPost, keepAliveAgent, throwUnlessOk } from '../http-post.js';
import { chunkPoints, DatadogMetricsTranslator, seriesV1, seriesV2 } from './metrics.js';

const gzipAsync = promisify(gzip);

/** Datadog's uncompressed payload limit for series submission is 3.2 MB; stay under it. */
const MAX_PAYLOAD_BYTES = 3_000_000;

const datadogSchema = s.object({
  api: s.object({
    key: s
      .string()
      .required()
      .refine((k) => (k.trim() ? undefined : 'api.key is empty (is DD_API_KEY set?)')),
    site: s.string().default('datadoghq.com'),
  }),
  metrics: s.object({
    /** Base URL; `/api/v2/series` (or v1) is appended. Default `https://api.<site>`. */
    endpoint: s.string().optional(),
    api_version: s.enum(['v1', 'v2']).default('v2'),
  }),
  tls: clientTlsSchema,
  ...exporterHelperConfig,
});

export type DatadogExporterConfig = Infer<typeof datadogSchema>;

class DatadogMetricsSender implements ExportSender<'metrics'> {
  private readonly translator = new DatadogMetricsTranslator();

  constructor(
    private readonly url: URL,
    private readonly config: DatadogExporterConfig,
    private readonly agent: http.Agent,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {}

  async send(data: MetricsData, _context: unknown, abort: AbortSignal): Promise<void> {
    const { points, skipped } = this.translator.translate(data);
    if (skipped > 0) {
      this.telemetry.sendFailed(skipped);
      this.logger.debug({ skipped }, 'points with no Datadog form (first cumulative sighting, summaries, exponential histograms) not sent');
    }
    const toBody = this.config.metrics.api_version === 'v1' ? seriesV1 : seriesV2;
    for (const chunk of chunkPoints(points, MAX_PAYLOAD_BYTES)) {
      const body = await gzipAsync(Buffer.from(JSON.stringify(toBody(chunk))));
      const reply = await httpPost(
        this.url,
        body,
        { 'content-type': 'application/json', 'content-encoding': 'gzip', 'dd-api-key': this.config.api.key, 'user-agent': 'sluice' },
        this.agent,
        abort,
      );
      throwUnlessOk(reply, (status) => status >= 500 || status === 429 || status === 408, reply.status === 403 ? ` (is api.key valid for ${this.config.api.site}?)` : '');
    }
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }
}

export const datadogExporterFactory: ExporterFactory<DatadogExporterConfig> = {
  kind: 'exporter',
  type: 'datadog',
  description: 'sends metrics to Datadog (series API v2, or v1 for Datadog-compatible backends)',
  signals: ['metrics'],
  schema: datadogSchema,
  create(settings, config) {
    const base = (config.metrics.endpoint ?? `https://api.${config.api.site}`).replace(/\/+$/, '');
    const url = new URL(`${base}/api/${config.metrics.api_version}/series`);
    const sender = new DatadogMetricsSender(url, config, keepAliveAgent(url, config.tls), settings.telemetry.exporter(settings.id, 'metrics'), settings.logger);
    return createExporter(settings, 'metrics', config, sender);
  },
};

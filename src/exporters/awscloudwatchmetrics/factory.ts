// `awscloudwatchmetrics`: PutMetricData through the AWS SDK for JavaScript v3, with its default
// credential chain. The SDK's own retries are off: the shared exporter helper retries.
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import { chunkBySize } from '../../pipeline/chunk.js';
import { PartedSend } from '../../pipeline/parted-send.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { DatumTranslator } from './datums.js';
import { awsClientConfig, awsConnectionConfig, classifyAwsError } from '../aws-client.js';

/** PutMetricData takes at most this many datums per request. */
const MAX_DATUMS = 1000;

const cloudWatchSchema = s.object({
  namespace: s.string().required(),
  ...awsConnectionConfig,
  ...exporterHelperConfig,
});

export type CloudWatchMetricsConfig = Infer<typeof cloudWatchSchema>;

class PutMetricDataSender implements ExportSender<'metrics'> {
  private readonly translator = new DatumTranslator();
  private readonly parts = new PartedSend<MetricDatum[]>((chunk) => chunk.length);
  private warnedDimensions = false;

  constructor(
    private readonly client: CloudWatchClient,
    private readonly namespace: string,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {}

  async send(data: MetricsData, _context: unknown, abort: AbortSignal): Promise<void> {
    await this.parts.send(data, () => this.chunks(data), async (chunk) => {
      try {
        await this.client.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: chunk }), { abortSignal: abort });
      } catch (err) {
        throw classifyAwsError('CloudWatch PutMetricData', err);
      }
    });
  }

  /** Translated once per batch: a retry must not compute cumulative increases a second time. */
  private chunks(data: MetricsData): MetricDatum[][] {
    const { datums, skipped, truncatedDimensions } = this.translator.translate(data);
    if (skipped > 0) this.telemetry.sendFailed(skipped);
    if (truncatedDimensions > 0 && !this.warnedDimensions) {
      this.warnedDimensions = true;
      this.logger.warn({ datums: truncatedDimensions }, 'CloudWatch takes at most 30 dimensions: extra attributes dropped (sorted by name)');
    }
    return chunkBySize(datums, () => 1, MAX_DATUMS);
  }

  async shutdown(): Promise<void> {
    this.client.destroy();
  }
}

export const awsCloudWatchMetricsExporterFactory: ExporterFactory<CloudWatchMetricsConfig> = {
  kind: 'exporter',
  type: 'awscloudwatchmetrics',
  description: 'sends metrics to Amazon CloudWatch with PutMetricData',
  signals: ['metrics'],
  schema: cloudWatchSchema,
  create(settings, config) {
    const client = new CloudWatchClient(awsClientConfig(config));
    const sender = new PutMetricDataSender(client, config.namespace, settings.telemetry.exporter(settings.id, 'metrics'), settings.logger);
    return createExporter(settings, 'metrics', config, sender);
  },
};

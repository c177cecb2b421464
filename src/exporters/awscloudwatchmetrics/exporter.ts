// The PutMetricData sender, through the AWS SDK for JavaScript v3 with its default credential
// chain. The SDK's own retries are off: the shared exporter helper retries.
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Logger } from 'pino';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { chunkBySize } from '../../pipeline/chunk.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { awsClientConfig, classifyAwsError } from '../aws-client.js';
import type { CloudWatchMetricsConfig } from './config.js';
import { DatumTranslator } from './datums.js';

/** PutMetricData takes at most this many datums per request. */
const MAX_DATUMS = 1000;

export class PutMetricDataSender implements ExportSender<'metrics', MetricDatum[]> {
  private readonly client: CloudWatchClient;
  private readonly translator = new DatumTranslator();
  private warnedDimensions = false;

  constructor(
    private readonly config: CloudWatchMetricsConfig,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {
    this.client = new CloudWatchClient(awsClientConfig(config));
  }

  encode(data: MetricsData): MetricDatum[][] {
    const { datums, skipped, truncatedDimensions } = this.translator.translate(data);
    if (skipped > 0) this.telemetry.sendFailed(skipped);
    if (truncatedDimensions > 0 && !this.warnedDimensions) {
      this.warnedDimensions = true;
      this.logger.warn({ datums: truncatedDimensions }, 'CloudWatch takes at most 30 dimensions: extra attributes dropped (sorted by name)');
    }
    return chunkBySize(datums, () => 1, MAX_DATUMS);
  }

  async send(chunk: MetricDatum[], _context: unknown, abort: AbortSignal): Promise<void> {
    try {
      await this.client.send(new PutMetricDataCommand({ Namespace: this.config.namespace, MetricData: chunk }), { abortSignal: abort });
    } catch (err) {
      throw classifyAwsError('CloudWatch PutMetricData', err);
    }
  }

  itemsOf(chunk: MetricDatum[]): number {
    return chunk.length;
  }

  async shutdown(): Promise<void> {
    this.client.destroy();
  }
}

// `awscloudwatchmetrics`: metrics to Amazon CloudWatch with PutMetricData.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { cloudWatchSchema, type CloudWatchMetricsConfig } from './config.js';
import { PutMetricDataSender } from './exporter.js';

export const awsCloudWatchMetricsExporterFactory: ExporterFactory<CloudWatchMetricsConfig> = {
  kind: 'exporter',
  type: 'awscloudwatchmetrics',
  description: 'sends metrics to Amazon CloudWatch with PutMetricData',
  signals: ['metrics'],
  schema: cloudWatchSchema,
  create: (settings, config) => createExporter(settings, 'metrics', config, new PutMetricDataSender(config, settings.telemetry.exporter(settings.id, 'metrics'), settings.logger)),
};

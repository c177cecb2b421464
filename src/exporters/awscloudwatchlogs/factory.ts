// `awscloudwatchlogs`: log records to a CloudWatch Logs group and stream with PutLogEvents, as JSON
// lines (the Go exporter's form) or the body alone (`raw_log`). Group and stream are created when
// missing, the group with `log_retention` and `tags`.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { cloudWatchLogsSchema, type CloudWatchLogsConfig } from './config.js';
import { CloudWatchLogsSender } from './exporter.js';

export const awsCloudWatchLogsExporterFactory: ExporterFactory<CloudWatchLogsConfig> = {
  kind: 'exporter',
  type: 'awscloudwatchlogs',
  description: 'sends logs to Amazon CloudWatch Logs with PutLogEvents',
  signals: ['logs'],
  schema: cloudWatchLogsSchema,
  create: (settings, config) => createExporter(settings, 'logs', config, new CloudWatchLogsSender(config, settings.telemetry.exporter(settings.id, 'logs'), settings.logger)),
};

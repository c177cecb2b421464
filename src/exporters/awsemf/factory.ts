// `awsemf`: metrics as CloudWatch Embedded Metric Format log events (PutLogEvents), so CloudWatch
// extracts them as metrics. Log group and stream are created when missing.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { emfSchema, type EmfExporterConfig } from './config.js';
import { EmfSender } from './exporter.js';

export const awsEmfExporterFactory: ExporterFactory<EmfExporterConfig> = {
  kind: 'exporter',
  type: 'awsemf',
  description: 'sends metrics to CloudWatch as Embedded Metric Format log events',
  signals: ['metrics'],
  schema: emfSchema,
  create: (settings, config) => createExporter(settings, 'metrics', config, new EmfSender(config, settings.telemetry.exporter(settings.id, 'metrics'), settings.logger)),
};

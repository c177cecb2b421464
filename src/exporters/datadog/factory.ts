// `datadog`: one component for all three signals, as in the Collector: metrics to the series API,
// logs to the HTTP intake, traces to a Datadog Agent.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { datadogSchema, type DatadogExporterConfig } from './config.js';
import { datadogSender } from './exporter.js';

export const datadogExporterFactory: ExporterFactory<DatadogExporterConfig> = {
  kind: 'exporter',
  type: 'datadog',
  description: 'sends traces (to a Datadog Agent), metrics (series API v2, or v1 for Datadog-compatible backends) and logs (HTTP intake) to Datadog',
  signals: ['traces', 'metrics', 'logs'],
  schema: datadogSchema,
  create: (settings, config, signal) => createExporter(settings, signal, config, datadogSender(signal, config, settings.telemetry.exporter(settings.id, signal), settings.logger)),
};

// `otlphttp`: OTLP over HTTP (protobuf or JSON) to a collector or backend.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { otlpHttpExporterSchema, type OtlpHttpExporterConfig } from './config.js';
import { HttpSender } from './exporter.js';

export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  description: 'sends traces, metrics and logs over OTLP/HTTP (protobuf or JSON)',
  signals: ['traces', 'metrics', 'logs'],
  schema: otlpHttpExporterSchema,
  create: (settings, config, signal) => createExporter(settings, signal, config, new HttpSender(signal, config, settings.logger)),
};

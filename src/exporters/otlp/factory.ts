// `otlp`: OTLP over gRPC to a collector or backend (Tempo, Jaeger, another Collector, ...).
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { otlpExporterSchema, type OtlpExporterConfig } from './config.js';
import { GrpcSender } from './exporter.js';

export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  description: 'sends traces, metrics and logs over OTLP/gRPC',
  signals: ['traces', 'metrics', 'logs'],
  schema: otlpExporterSchema,
  create: (settings, config, signal) => createExporter(settings, signal, config, new GrpcSender(signal, config, settings.logger)),
};

// `jaeger`: traces to a Jaeger collector, over gRPC (api_v2 CollectorService/PostSpans, port
// 14250) or Thrift over HTTP (POST /api/traces, port 14268).
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { jaegerSchema, type JaegerExporterConfig } from './config.js';
import { JaegerSender } from './exporter.js';

export const jaegerExporterFactory: ExporterFactory<JaegerExporterConfig> = {
  kind: 'exporter',
  type: 'jaeger',
  description: 'sends traces to a Jaeger collector (gRPC api_v2 or Thrift over HTTP)',
  signals: ['traces'],
  schema: jaegerSchema,
  create: (settings, config) => createExporter(settings, 'traces', config, new JaegerSender(config)),
};

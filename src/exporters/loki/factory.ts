// `loki`: log records to Grafana Loki's push API, as snappy-compressed logproto.PushRequest
// (the default) or JSON, one request per tenant (X-Scope-OrgID). Translation in streams.ts.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { lokiSchema, type LokiExporterConfig } from './config.js';
import { LokiSender } from './exporter.js';

export const lokiExporterFactory: ExporterFactory<LokiExporterConfig> = {
  kind: 'exporter',
  type: 'loki',
  description: 'sends logs to Grafana Loki (push API, snappy protobuf or JSON), per tenant',
  signals: ['logs'],
  schema: lokiSchema,
  create: (settings, config) => createExporter(settings, 'logs', config, new LokiSender(config, settings.logger)),
};

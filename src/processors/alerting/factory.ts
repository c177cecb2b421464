// `alerting`: Prometheus alerting and recording rules evaluated inline on the metrics passing
// through (which go on unchanged), with notifications, silences, inhibition and SLO burn-rate
// alerts. The rule language and engine live in src/alerting/.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { alertingSchema, type AlertingConfig } from './config.js';
import { AlertingProcessor } from './processor.js';

export const alertingProcessorFactory: ProcessorFactory<AlertingConfig> = {
  kind: 'processor',
  type: 'alerting',
  description: 'evaluates Prometheus alerting and recording rules on the metrics passing through; notifies Alertmanager, webhooks, Slack, PagerDuty, e-mail',
  signals: ['metrics'],
  mutates: false,
  // One rule engine per id however many pipelines list it: one store, one set of notifications.
  shared: true,
  schema: alertingSchema,
  create: (settings, config) => new AlertingProcessor(settings, config),
};

// `count`: counts spans, span events, metrics, data points or log records into delta sums, one
// per configured counter, grouped by the values of chosen attributes, as the Collector's count
// connector does (same default metric names, so dashboards carry over).
import type { ConnectorFactory } from '../../pipeline/component.js';
import { countSchema, type CountConnectorConfig } from './config.js';
import { CountConnector } from './connector.js';

export const countConnectorFactory: ConnectorFactory<CountConnectorConfig> = {
  kind: 'connector',
  type: 'count',
  description: 'counts spans, span events, metrics, data points and log records into sums by attributes',
  schema: countSchema,
  pairs: [
    ['traces', 'metrics'],
    ['metrics', 'metrics'],
    ['logs', 'metrics'],
  ],
  create: (settings, config, from, _to, targets) => new CountConnector(settings, config, from, targets.all),
};

// `spanmetrics`: RED metrics from spans (calls and duration by service, span name, kind, status
// and chosen attributes), named as the Collector's spanmetrics connector names them so its
// dashboards work. The aggregation is in connector.ts.
import type { ConnectorFactory } from '../../pipeline/component.js';
import { spanMetricsSchema, type SpanMetricsConfig } from './config.js';
import { SpanMetricsConnector } from './connector.js';

export const spanMetricsConnectorFactory: ConnectorFactory<SpanMetricsConfig> = {
  kind: 'connector',
  type: 'spanmetrics',
  description: 'computes request counts and duration histograms (RED metrics) from spans',
  schema: spanMetricsSchema,
  pairs: [['traces', 'metrics']],
  create: (settings, config, _from, _to, targets) => new SpanMetricsConnector(settings, config, targets.all),
};

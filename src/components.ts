// The registry: every component type sluice knows, by kind. `sluice components` prints it.
import type { Factory } from './pipeline/component.js';
import { otlpReceiverFactory } from './receivers/otlp/factory.js';
import { batchProcessorFactory } from './processors/batch/factory.js';
import { memoryLimiterProcessorFactory } from './processors/memory_limiter/factory.js';
import { probabilisticSamplerProcessorFactory } from './processors/probabilistic_sampler/factory.js';
import { cumulativeToDeltaProcessorFactory } from './processors/cumulativetodelta/factory.js';
import { deltaToCumulativeProcessorFactory } from './processors/deltatocumulative/factory.js';
import { intervalProcessorFactory } from './processors/interval/factory.js';
import { tailSamplingProcessorFactory } from './processors/tail_sampling/factory.js';
import { cardinalityLimiterProcessorFactory } from './processors/cardinality_limiter/factory.js';
import { metricsTransformProcessorFactory } from './processors/metricstransform/factory.js';
import { alertingProcessorFactory } from './processors/alerting/factory.js';
import { otlpExporterFactory } from './exporters/otlp/factory.js';
import { otlpHttpExporterFactory } from './exporters/otlphttp/factory.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { prometheusExporterFactory } from './exporters/prometheus/factory.js';
import { prometheusRemoteWriteExporterFactory } from './exporters/prometheusremotewrite/factory.js';
import { statsdExporterFactory } from './exporters/statsd/factory.js';
import { datadogExporterFactory } from './exporters/datadog/factory.js';
import { awsCloudWatchMetricsExporterFactory } from './exporters/awscloudwatchmetrics/factory.js';
import { awsEmfExporterFactory } from './exporters/awsemf/factory.js';
import { lokiExporterFactory } from './exporters/loki/factory.js';
import { jaegerExporterFactory } from './exporters/jaeger/factory.js';
import { awsCloudWatchLogsExporterFactory } from './exporters/awscloudwatchlogs/factory.js';
import { forwardConnectorFactory } from './connectors/forward/factory.js';
import { routingConnectorFactory } from './connectors/routing/factory.js';
import { countConnectorFactory } from './connectors/count/factory.js';
import { spanMetricsConnectorFactory } from './connectors/spanmetrics/factory.js';
import { healthCheckExtensionFactory } from './extensions/health_check/factory.js';
import { fileStorageExtensionFactory } from './extensions/file_storage/factory.js';

export const factories: readonly Factory[] = [
  otlpReceiverFactory,
  batchProcessorFactory,
  memoryLimiterProcessorFactory,
  probabilisticSamplerProcessorFactory,
  cumulativeToDeltaProcessorFactory,
  deltaToCumulativeProcessorFactory,
  intervalProcessorFactory,
  tailSamplingProcessorFactory,
  cardinalityLimiterProcessorFactory,
  metricsTransformProcessorFactory,
  alertingProcessorFactory,
  otlpExporterFactory,
  otlpHttpExporterFactory,
  debugExporterFactory,
  prometheusExporterFactory,
  prometheusRemoteWriteExporterFactory,
  statsdExporterFactory,
  datadogExporterFactory,
  awsCloudWatchMetricsExporterFactory,
  awsEmfExporterFactory,
  lokiExporterFactory,
  jaegerExporterFactory,
  awsCloudWatchLogsExporterFactory,
  forwardConnectorFactory,
  routingConnectorFactory,
  countConnectorFactory,
  spanMetricsConnectorFactory,
  healthCheckExtensionFactory,
  fileStorageExtensionFactory,
] as readonly Factory[];

/** One line per component: kind, type, signals (or signal pairs), description. */
export function describeComponents(list: readonly Factory[] = factories): string {
  const lines: string[] = [];
  for (const kind of ['receiver', 'processor', 'exporter', 'connector', 'extension'] as const) {
    const ofKind = list.filter((f) => f.kind === kind);
    if (ofKind.length === 0) continue;
    lines.push(`${kind}s:`);
    for (const f of ofKind) {
      let signals = '';
      if (f.kind === 'connector') signals = f.pairs.map(([a, b]) => `${a}->${b}`).join(', ');
      else if (f.kind !== 'extension') signals = f.signals.join(', ');
      lines.push(`  ${f.type.padEnd(22)} ${signals.padEnd(28)} ${f.description}`);
    }
  }
  return lines.join('\n');
}

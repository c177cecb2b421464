// The registry: every component type sluice knows, by kind. A factory module (and with it the
// component and what it depends on: the AWS SDK, the rule engine, ...) is imported only when a
// config names its type, so a process loads and holds only the components it runs. `sluice
// components` loads them all to print them.
import type { ComponentKind, Factory } from './pipeline/component.js';

export interface ComponentType {
  kind: ComponentKind;
  type: string;
}

interface Registration extends ComponentType {
  load(): Promise<Factory>;
}

const registry: readonly Registration[] = [
  { kind: 'receiver', type: 'otlp', load: async () => (await import('./receivers/otlp/factory.js')).otlpReceiverFactory },
  { kind: 'processor', type: 'batch', load: async () => (await import('./processors/batch/factory.js')).batchProcessorFactory },
  { kind: 'processor', type: 'memory_limiter', load: async () => (await import('./processors/memory_limiter/factory.js')).memoryLimiterProcessorFactory },
  { kind: 'processor', type: 'probabilistic_sampler', load: async () => (await import('./processors/probabilistic_sampler/factory.js')).probabilisticSamplerProcessorFactory },
  { kind: 'processor', type: 'cumulativetodelta', load: async () => (await import('./processors/cumulativetodelta/factory.js')).cumulativeToDeltaProcessorFactory },
  { kind: 'processor', type: 'deltatocumulative', load: async () => (await import('./processors/deltatocumulative/factory.js')).deltaToCumulativeProcessorFactory },
  { kind: 'processor', type: 'interval', load: async () => (await import('./processors/interval/factory.js')).intervalProcessorFactory },
  { kind: 'processor', type: 'tail_sampling', load: async () => (await import('./processors/tail_sampling/factory.js')).tailSamplingProcessorFactory },
  { kind: 'processor', type: 'cardinality_limiter', load: async () => (await import('./processors/cardinality_limiter/factory.js')).cardinalityLimiterProcessorFactory },
  { kind: 'processor', type: 'metricstransform', load: async () => (await import('./processors/metricstransform/factory.js')).metricsTransformProcessorFactory },
  { kind: 'processor', type: 'alerting', load: async () => (await import('./processors/alerting/factory.js')).alertingProcessorFactory },
  { kind: 'exporter', type: 'otlp', load: async () => (await import('./exporters/otlp/factory.js')).otlpExporterFactory },
  { kind: 'exporter', type: 'otlphttp', load: async () => (await import('./exporters/otlphttp/factory.js')).otlpHttpExporterFactory },
  { kind: 'exporter', type: 'debug', load: async () => (await import('./exporters/debug/factory.js')).debugExporterFactory },
  { kind: 'exporter', type: 'prometheus', load: async () => (await import('./exporters/prometheus/factory.js')).prometheusExporterFactory },
  { kind: 'exporter', type: 'prometheusremotewrite', load: async () => (await import('./exporters/prometheusremotewrite/factory.js')).prometheusRemoteWriteExporterFactory },
  { kind: 'exporter', type: 'statsd', load: async () => (await import('./exporters/statsd/factory.js')).statsdExporterFactory },
  { kind: 'exporter', type: 'datadog', load: async () => (await import('./exporters/datadog/factory.js')).datadogExporterFactory },
  { kind: 'exporter', type: 'awscloudwatchmetrics', load: async () => (await import('./exporters/awscloudwatchmetrics/factory.js')).awsCloudWatchMetricsExporterFactory },
  { kind: 'exporter', type: 'awsemf', load: async () => (await import('./exporters/awsemf/factory.js')).awsEmfExporterFactory },
  { kind: 'exporter', type: 'loki', load: async () => (await import('./exporters/loki/factory.js')).lokiExporterFactory },
  { kind: 'exporter', type: 'jaeger', load: async () => (await import('./exporters/jaeger/factory.js')).jaegerExporterFactory },
  { kind: 'exporter', type: 'awscloudwatchlogs', load: async () => (await import('./exporters/awscloudwatchlogs/factory.js')).awsCloudWatchLogsExporterFactory },
  { kind: 'connector', type: 'forward', load: async () => (await import('./connectors/forward/factory.js')).forwardConnectorFactory },
  { kind: 'connector', type: 'routing', load: async () => (await import('./connectors/routing/factory.js')).routingConnectorFactory },
  { kind: 'connector', type: 'count', load: async () => (await import('./connectors/count/factory.js')).countConnectorFactory },
  { kind: 'connector', type: 'spanmetrics', load: async () => (await import('./connectors/spanmetrics/factory.js')).spanMetricsConnectorFactory },
  { kind: 'extension', type: 'health_check', load: async () => (await import('./extensions/health_check/factory.js')).healthCheckExtensionFactory },
  { kind: 'extension', type: 'file_storage', load: async () => (await import('./extensions/file_storage/factory.js')).fileStorageExtensionFactory },
];

/** Every component type, for validation's "known types" and `sluice components`. */
export const componentTypes: readonly ComponentType[] = registry;

const SECTIONS: Record<string, ComponentKind> = { receivers: 'receiver', processors: 'processor', exporters: 'exporter', connectors: 'connector', extensions: 'extension' };

/** The factories of the component types a config names (as loaded, before validation); types not registered are left for validation to report. */
export function factoriesFor(config: Record<string, unknown>): Promise<Factory[]> {
  const named = new Set<string>();
  for (const [section, kind] of Object.entries(SECTIONS)) {
    const components = config[section];
    if (components === null || typeof components !== 'object' || Array.isArray(components)) continue;
    for (const id of Object.keys(components)) named.add(`${kind}/${id.split('/')[0]}`);
  }
  return Promise.all(registry.filter((r) => named.has(`${r.kind}/${r.type}`)).map((r) => r.load()));
}

export function allFactories(): Promise<Factory[]> {
  return Promise.all(registry.map((r) => r.load()));
}

/** One line per component: kind, type, signals (or signal pairs), description. */
export function describeComponents(list: readonly Factory[]): string {
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

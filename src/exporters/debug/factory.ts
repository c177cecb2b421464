// `debug`: writes what arrives to the log, for trying pipelines out (the Collector's debug exporter).
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, DIRECT_EXPORT } from '../../pipeline/exporter-helper.js';
import { debugExporterSchema, type DebugExporterConfig } from './config.js';
import { BatchSampler, DebugSender } from './exporter.js';

export const debugExporterFactory: ExporterFactory<DebugExporterConfig> = {
  kind: 'exporter',
  type: 'debug',
  description: 'writes traces, metrics and logs to the log at basic, normal or detailed verbosity',
  signals: ['traces', 'metrics', 'logs'],
  schema: debugExporterSchema,
  create(settings, config, signal) {
    const sampler = new BatchSampler(config.sampling_initial, config.sampling_thereafter, () => settings.scheduler.now());
    // Writing a line cannot usefully be queued or retried, but going through the helper keeps
    // acks, sent counts and shutdown the same as for every other exporter (as the Collector does).
    return createExporter(settings, signal, DIRECT_EXPORT, new DebugSender(signal, config.verbosity, sampler, settings.logger));
  },
};

// `prometheusremotewrite`: metrics to Prometheus, VictoriaMetrics, Mimir, Thanos or Cortex over
// remote write 1.0 (snappy-compressed protobuf). Encoding in exporter.ts; queueing and retries in the helper.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, sendingQueueWith } from '../../pipeline/exporter-helper.js';
import { remoteWriteSchema, type RemoteWriteConfig } from './config.js';
import { RemoteWriteSender } from './exporter.js';

export const prometheusRemoteWriteExporterFactory: ExporterFactory<RemoteWriteConfig> = {
  kind: 'exporter',
  type: 'prometheusremotewrite',
  description: 'sends metrics over Prometheus remote write 1.0 (snappy protobuf)',
  signals: ['metrics'],
  schema: remoteWriteSchema,
  create(settings, config) {
    const sender = new RemoteWriteSender(config, settings.telemetry.exporter(settings.id, 'metrics'), settings.logger);
    // The Collector's remote-write exporter calls its queue remote_write_queue.
    return createExporter(settings, 'metrics', { ...config, sending_queue: sendingQueueWith(config.remote_write_queue) }, sender);
  },
};

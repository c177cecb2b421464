// The EMF sender: metrics become Embedded Metric Format events (emf.ts), grouped by the log group
// and stream their resource's placeholders name, one PutLogEvents call per batch of events.
import type { Logger } from 'pino';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { cloudWatchLogsClient, LogBatchSender, LogEventWriter, type LogBatch } from '../aws-logs.js';
import type { EmfExporterConfig } from './config.js';
import { EmfTranslator, fillPlaceholders, type EmfEvent } from './emf.js';

export class EmfSender extends LogBatchSender<'metrics'> {
  private readonly translator: EmfTranslator;

  constructor(
    private readonly config: EmfExporterConfig,
    private readonly telemetry: ExporterTelemetry,
    logger: Logger,
  ) {
    super(new LogEventWriter(cloudWatchLogsClient(config), logger));
    this.translator = new EmfTranslator({ namespace: config.namespace, rollup: config.dimension_rollup_option, declarations: config.metric_declarations });
  }

  encode(data: MetricsData): LogBatch[] {
    const { events, skipped } = this.translator.translate(data);
    if (skipped > 0) this.telemetry.sendFailed(skipped);
    // Placeholders may send one batch's resources to different groups and streams.
    const byDestination = new Map<string, EmfEvent[]>();
    for (const e of events) {
      const key = `${fillPlaceholders(this.config.log_group_name, e.resource)}\u0000${fillPlaceholders(this.config.log_stream_name, e.resource)}`;
      const list = byDestination.get(key) ?? [];
      list.push(e);
      byDestination.set(key, list);
    }
    return [...byDestination].flatMap(([key, list]) => {
      const [group, stream] = key.split('\u0000') as [string, string];
      return LogEventWriter.batches(group, stream, list);
    });
  }
}

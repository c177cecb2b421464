// `awsemf`: metrics as CloudWatch Embedded Metric Format log events (PutLogEvents), so CloudWatch
// extracts them as metrics. Log group and stream are created when missing.
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { EmfTranslator, fillPlaceholders, type EmfEvent } from './emf.js';
import { cloudWatchLogsClient, LogEventWriter, type LogBatch } from '../aws-logs.js';
import { PartedSend } from '../../pipeline/parted-send.js';
import { awsConnectionConfig } from '../aws-client.js';

const emfSchema = s.object({
  log_group_name: s.string().required(),
  log_stream_name: s.string().required(),
  namespace: s.string().default('default'),
  ...awsConnectionConfig,
  dimension_rollup_option: s.enum(['NoDimensionRollup', 'SingleDimensionRollup', 'ZeroAndSingleDimensionRollup']).default('ZeroAndSingleDimensionRollup'),
  metric_declarations: s
    .list(
      s.object({
        dimensions: s.list(s.list(s.string())).default([]),
        metric_name_selectors: s
          .list(s.string())
          .required()
          .refine((list) => list.map((p) => regexProblem(p)).find(Boolean)),
      }),
    )
    .default([]),
  ...exporterHelperConfig,
});

function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return `invalid regular expression "${pattern}": ${(err as Error).message}`;
  }
}

export type EmfExporterConfig = Infer<typeof emfSchema>;

class EmfSender implements ExportSender<'metrics'> {
  private readonly translator: EmfTranslator;
  /** Items of a part are EMF events, the nearest countable thing to the points they carry. */
  private readonly parts = new PartedSend<LogBatch>((batch) => batch.events.length);

  constructor(
    private readonly writer: LogEventWriter,
    private readonly config: EmfExporterConfig,
    private readonly telemetry: ExporterTelemetry,
  ) {
    this.translator = new EmfTranslator({ namespace: config.namespace, rollup: config.dimension_rollup_option, declarations: config.metric_declarations });
  }

  async send(data: MetricsData, _context: unknown, abort: AbortSignal): Promise<void> {
    await this.parts.send(data, () => this.batches(data), (batch) => this.writer.put(batch, abort));
  }

  /** Translated once per batch: a retry must not compute cumulative increases a second time. */
  private batches(data: MetricsData): LogBatch[] {
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

  async shutdown(): Promise<void> {
    this.writer.destroy();
  }
}

export const awsEmfExporterFactory: ExporterFactory<EmfExporterConfig> = {
  kind: 'exporter',
  type: 'awsemf',
  description: 'sends metrics to CloudWatch as Embedded Metric Format log events',
  signals: ['metrics'],
  schema: emfSchema,
  create(settings, config) {
    const writer = new LogEventWriter(cloudWatchLogsClient(config), settings.logger);
    const sender = new EmfSender(writer, config, settings.telemetry.exporter(settings.id, 'metrics'));
    return createExporter(settings, 'metrics', config, sender);
  },
};

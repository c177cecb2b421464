// `awscloudwatchlogs`: log records to a CloudWatch Logs group and stream with PutLogEvents, as JSON
// lines (the Go exporter's form) or the body alone (`raw_log`). Group and stream are created when
// missing, the group with `log_retention` and `tags`.
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { LogsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { awsConnectionConfig } from '../aws-client.js';
import { cloudWatchLogsClient, LogEventWriter, type LogBatch } from '../aws-logs.js';
import { PartedSend } from '../../pipeline/parted-send.js';
import { toLogEvents } from './events.js';

/** The retention periods CloudWatch accepts, in days (0: never expire). */
const RETENTION_DAYS = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const cloudWatchLogsSchema = s.object({
  log_group_name: s.string().required(),
  log_stream_name: s.string().required(),
  ...awsConnectionConfig,
  log_retention: s
    .int({ min: 0 })
    .default(0)
    .refine((days) => (RETENTION_DAYS.includes(days) ? undefined : `log_retention must be one of CloudWatch's periods: ${RETENTION_DAYS.join(', ')} (days; 0 = never expire)`)),
  tags: s
    .map(s.string())
    .default({})
    .refine((tags) => (Object.keys(tags).length > 50 ? 'CloudWatch Logs takes at most 50 tags per log group' : undefined)),
  /** The body as the message, instead of the JSON form with attributes and resource. */
  raw_log: s.bool().default(false),
  ...exporterHelperConfig,
});

export type CloudWatchLogsConfig = Infer<typeof cloudWatchLogsSchema>;

class PutLogEventsSender implements ExportSender<'logs'> {
  private warnedOutOfRange = false;
  private readonly parts = new PartedSend<LogBatch>((batch) => batch.events.length);

  constructor(
    private readonly writer: LogEventWriter,
    private readonly config: CloudWatchLogsConfig,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {}

  async send(data: LogsData, _context: unknown, abort: AbortSignal): Promise<void> {
    await this.parts.send(data, () => this.batches(data), (batch) => this.writer.put(batch, abort));
  }

  private batches(data: LogsData): LogBatch[] {
    const { events, outOfRange, truncated } = toLogEvents(data, { raw: this.config.raw_log, nowMs: Date.now() });
    if (outOfRange > 0) {
      this.telemetry.sendFailed(outOfRange);
      if (!this.warnedOutOfRange) {
        this.warnedOutOfRange = true;
        this.logger.warn({ dropped: outOfRange }, 'CloudWatch Logs rejects events older than 14 days or more than 2 hours ahead: such records are dropped and counted (logged once)');
      }
    }
    if (truncated > 0) this.logger.debug({ truncated }, 'records above CloudWatch\'s 256 KiB event limit were truncated');
    return LogEventWriter.batches(this.config.log_group_name, this.config.log_stream_name, events);
  }

  async shutdown(): Promise<void> {
    this.writer.destroy();
  }
}

export const awsCloudWatchLogsExporterFactory: ExporterFactory<CloudWatchLogsConfig> = {
  kind: 'exporter',
  type: 'awscloudwatchlogs',
  description: 'sends logs to Amazon CloudWatch Logs with PutLogEvents',
  signals: ['logs'],
  schema: cloudWatchLogsSchema,
  create(settings, config) {
    const writer = new LogEventWriter(cloudWatchLogsClient(config), settings.logger, { retentionDays: config.log_retention || undefined, tags: Object.keys(config.tags).length ? config.tags : undefined });
    const sender = new PutLogEventsSender(writer, config, settings.telemetry.exporter(settings.id, 'logs'), settings.logger);
    return createExporter(settings, 'logs', config, sender);
  },
};

// The PutLogEvents sender: log records become events (events.ts), batched to the PutLogEvents
// limits, one call per batch.
import type { Logger } from 'pino';
import type { LogsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { cloudWatchLogsClient, LogBatchSender, LogEventWriter, type LogBatch } from '../aws-logs.js';
import type { CloudWatchLogsConfig } from './config.js';
import { toLogEvents } from './events.js';

export class CloudWatchLogsSender extends LogBatchSender<'logs'> {
  private warnedOutOfRange = false;

  constructor(
    private readonly config: CloudWatchLogsConfig,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {
    super(new LogEventWriter(cloudWatchLogsClient(config), logger, { retentionDays: config.log_retention || undefined, tags: Object.keys(config.tags).length ? config.tags : undefined }));
  }

  encode(data: LogsData): LogBatch[] {
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
}

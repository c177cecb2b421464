// `awsemf`: metrics as CloudWatch Embedded Metric Format log events (PutLogEvents), so CloudWatch
// extracts them as metrics. Log group and stream are created when missing.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import { PermanentError, RetryableError } from '../../pipeline/errors.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { batchEvents, EmfTranslator, fillPlaceholders, type EmfEvent } from './emf.js';
import { awsCredentials } from '../aws-credentials.js';

const emfSchema = s.object({
  log_group_name: s.string().required(),
  log_stream_name: s.string().required(),
  namespace: s.string().default('default'),
  region: s.string().optional(),
  endpoint: s.string().optional(),
  /** A role to assume through STS with the default chain's credentials. */
  role_arn: s.string().optional(),
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

const RETRYABLE_ERRORS = new Set(['ThrottlingException', 'ServiceUnavailableException', 'InternalFailure', 'ServiceUnavailable']);

class EmfSender implements ExportSender<'metrics'> {
  private readonly translator: EmfTranslator;

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly config: EmfExporterConfig,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {
    this.translator = new EmfTranslator({ namespace: config.namespace, rollup: config.dimension_rollup_option, declarations: config.metric_declarations });
  }

  async send(data: MetricsData, _context: unknown, abort: AbortSignal): Promise<void> {
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
    for (const [key, list] of byDestination) {
      const [group, stream] = key.split('\u0000') as [string, string];
      for (const batch of batchEvents(list)) await this.put(group, stream, batch, abort);
    }
  }

  private async put(group: string, stream: string, batch: EmfEvent[], abort: AbortSignal): Promise<void> {
    const command = () => new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: batch.map((e) => ({ timestamp: e.timestamp, message: e.message })) });
    try {
      await this.client.send(command(), { abortSignal: abort });
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw classify(err);
      this.logger.info({ log_group: group, log_stream: stream }, 'creating the CloudWatch log group and stream');
      await this.ensure(() => this.client.send(new CreateLogGroupCommand({ logGroupName: group }), { abortSignal: abort }));
      await this.ensure(() => this.client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }), { abortSignal: abort }));
      try {
        await this.client.send(command(), { abortSignal: abort });
      } catch (again) {
        throw classify(again);
      }
    }
  }

  /** Runs a create call; "already exists" means someone else created it, which is what we wanted. */
  private async ensure(create: () => Promise<unknown>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if (!(err instanceof ResourceAlreadyExistsException)) throw classify(err);
    }
  }

  async shutdown(): Promise<void> {
    this.client.destroy();
  }
}

function classify(err: unknown): Error {
  const e = err as Error & { $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? 0;
  const message = `CloudWatch Logs: ${e.name}: ${e.message}`;
  if (RETRYABLE_ERRORS.has(e.name) || status >= 500 || status === 0) return new RetryableError(message, undefined, e.name === 'ThrottlingException');
  return new PermanentError(message);
}

export const awsEmfExporterFactory: ExporterFactory<EmfExporterConfig> = {
  kind: 'exporter',
  type: 'awsemf',
  description: 'sends metrics to CloudWatch as Embedded Metric Format log events',
  signals: ['metrics'],
  schema: emfSchema,
  create(settings, config) {
    const client = new CloudWatchLogsClient({ region: config.region, endpoint: config.endpoint, maxAttempts: 1, credentials: awsCredentials(config.role_arn, config.region) });
    const sender = new EmfSender(client, config, settings.telemetry.exporter(settings.id, 'metrics'), settings.logger);
    return createExporter(settings, 'metrics', config, sender);
  },
};

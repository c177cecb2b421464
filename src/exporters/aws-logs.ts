// What the CloudWatch Logs exporters (awsemf, awscloudwatchlogs) share: the client, batching to
// the PutLogEvents limits, and the put that creates a missing group and stream.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { EncodingSender } from '../pipeline/exporter-helper.js';
import type { Signal, SignalData } from '../pdata/types.js';
import { awsClientConfig, classifyAwsError, type AwsConnection } from './aws-client.js';

export interface LogEvent {
  timestamp: number;
  message: string;
}

/** PutLogEvents counts each event's UTF-8 message plus this many bytes. */
export const EVENT_OVERHEAD_BYTES = 26;
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const MAX_BATCH_SPAN_MS = 24 * 3600 * 1000;

/** PutLogEvents limits: 10,000 events, 1,048,576 bytes (message + 26 each), one call spanning under 24 hours, in time order. */
export function batchEvents<T extends LogEvent>(events: T[]): T[][] {
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const e of sorted) {
    const size = Buffer.byteLength(e.message) + EVENT_OVERHEAD_BYTES;
    if (current.length > 0 && (current.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES || e.timestamp - current[0]!.timestamp >= MAX_BATCH_SPAN_MS)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

export function cloudWatchLogsClient(config: AwsConnection): CloudWatchLogsClient {
  return new CloudWatchLogsClient(awsClientConfig(config));
}

/** One PutLogEvents call's worth. */
export interface LogBatch {
  group: string;
  stream: string;
  events: LogEvent[];
}

export interface GroupSettings {
  /** Days; applied when this writer creates the group. */
  retentionDays?: number;
  tags?: Record<string, string>;
}

/** Writes events to a group and stream, creating them (with retention and tags) when missing. */
export class LogEventWriter {
  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly logger: Logger,
    private readonly group: GroupSettings = {},
  ) {}

  /** The PutLogEvents calls that carry `events` to a group and stream. */
  static batches(group: string, stream: string, events: LogEvent[]): LogBatch[] {
    return batchEvents(events).map((batch) => ({ group, stream, events: batch }));
  }

  async put({ group, stream, events }: LogBatch, abort: AbortSignal): Promise<void> {
    const command = () => new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events.map((e) => ({ timestamp: e.timestamp, message: e.message })) });
    try {
      await this.client.send(command(), { abortSignal: abort });
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw classifyAwsError('CloudWatch Logs', err);
      this.logger.info({ log_group: group, log_stream: stream }, 'creating the CloudWatch log group and stream');
      const created = await this.ensure(() => this.client.send(new CreateLogGroupCommand({ logGroupName: group, tags: this.group.tags }), { abortSignal: abort }));
      if (created && this.group.retentionDays) {
        await this.ensure(() => this.client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: this.group.retentionDays }), { abortSignal: abort }));
      }
      await this.ensure(() => this.client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }), { abortSignal: abort }));
      try {
        await this.client.send(command(), { abortSignal: abort });
      } catch (again) {
        throw classifyAwsError('CloudWatch Logs', again);
      }
    }
  }

  /** Runs a create call; "already exists" means someone else created it, which is what we wanted (false). */
  private async ensure(create: () => Promise<unknown>): Promise<boolean> {
    try {
      await create();
      return true;
    } catch (err) {
      if (!(err instanceof ResourceAlreadyExistsException)) throw classifyAwsError('CloudWatch Logs', err);
      return false;
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** What the CloudWatch Logs senders share: one PutLogEvents call per batch of events; each turns its own signal into batches. */
export abstract class LogBatchSender<S extends Signal> implements EncodingSender<S, LogBatch> {
  constructor(private readonly writer: LogEventWriter) {}

  abstract encode(data: SignalData[S]): LogBatch[];

  send(batch: LogBatch, _context: unknown, abort: AbortSignal): Promise<void> {
    return this.writer.put(batch, abort);
  }

  /** Events: for awsemf the nearest countable thing to the points they carry. */
  itemsOf(batch: LogBatch): number {
    return batch.events.length;
  }

  async shutdown(): Promise<void> {
    this.writer.destroy();
  }
}

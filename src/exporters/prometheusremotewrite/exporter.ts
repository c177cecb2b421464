// The remote write 1.0 sender: metrics become series (codec/prometheus-remote-write.ts), split at
// max_batch_size_bytes into snappy-compressed WriteRequests, one POST each.
import snappy from 'snappy';
import type { Logger } from 'pino';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { encodeWriteRequest, splitSeries, toRemoteSeries, type RemoteWriteOptions } from '../../codec/prometheus-remote-write.js';
import { HttpTarget, throwUnlessOk } from '../http-post.js';
import type { RemoteWriteConfig } from './config.js';

interface WriteRequest {
  body: Buffer;
  samples: number;
}

export class RemoteWriteSender implements ExportSender<'metrics', WriteRequest> {
  private readonly target: HttpTarget;
  private readonly options: RemoteWriteOptions;
  private readonly maxBatchBytes: number;
  private warnedDelta = false;

  constructor(
    config: RemoteWriteConfig,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {
    this.maxBatchBytes = config.max_batch_size_bytes;
    this.options = {
      namespace: config.namespace,
      addSuffixes: config.add_metric_suffixes,
      constLabels: {},
      externalLabels: config.external_labels,
      resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
      targetInfo: config.target_info.enabled,
    };
    this.target = new HttpTarget(new URL(config.endpoint), config.tls, {
      ...config.headers,
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'sluice',
    });
  }

  encode(data: MetricsData): WriteRequest[] {
    const { series, droppedDeltaPoints } = toRemoteSeries(data, this.options);
    if (droppedDeltaPoints > 0) {
      this.telemetry.sendFailed(droppedDeltaPoints);
      if (!this.warnedDelta) {
        this.warnedDelta = true;
        this.logger.warn({ dropped_points: droppedDeltaPoints }, 'Remote write carries cumulative data only: delta points dropped (add a deltatocumulative processor)');
      }
    }
    return splitSeries(series, this.maxBatchBytes).map((group) => ({
      body: snappy.compressSync(Buffer.from(encodeWriteRequest(group))),
      samples: group.reduce((n, s) => n + s.samples.length, 0),
    }));
  }

  async send(request: WriteRequest, _context: unknown, abort: AbortSignal): Promise<void> {
    const reply = await this.target.post(request.body, abort);
    // The remote write specification: senders must retry every 5xx, and 429.
    throwUnlessOk(reply, { anyServerError: true });
  }

  /** Samples, the nearest countable thing to the points they come from. */
  itemsOf(request: WriteRequest): number {
    return request.samples;
  }

  async shutdown(): Promise<void> {
    this.target.close();
  }
}

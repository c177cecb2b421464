// The Datadog senders. Metrics: series to the API v2 (or v1, which Datadog-compatible backends
// such as VictoriaMetrics accept); logs: the HTTP log intake v2; both gzip JSON with DD-API-KEY.
// Traces: msgpack to a Datadog Agent's trace API.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { encode as msgpack } from '@msgpack/msgpack';
import type { Logger } from 'pino';
import type { EncodingSender, ExportSender } from '../../pipeline/exporter-helper.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { HttpTarget, throwUnlessOk } from '../http-post.js';
import { chunkBySize } from '../../pipeline/chunk.js';
import { packageVersion } from '../../paths.js';
import type { DatadogExporterConfig } from './config.js';
import { chunkPoints, DatadogMetricsTranslator, seriesV1, seriesV2 } from './metrics.js';
import { DatadogTraceTranslator } from './traces.js';
import { toLogRequests } from './logs.js';

const gzipAsync = promisify(gzip);

/** Datadog's uncompressed payload limit for series submission is 3.2 MB; stay under it. */
const MAX_PAYLOAD_BYTES = 3_000_000;

/** The agent takes payloads of up to 25 MB by default; stay well under it. */
const MAX_TRACE_PAYLOAD_BYTES = 10_000_000;

interface DatadogRequest {
  body: Buffer;
  items: number;
}

/**
 * What metrics and logs are sent with: gzip JSON, authenticated with the API key. Every 5xx is
 * retried, as Datadog's intake documentation asks of its clients (the Agent included).
 */
class GzipJsonSender<S extends 'metrics' | 'logs'> implements ExportSender<S, DatadogRequest> {
  private readonly target: HttpTarget;

  constructor(
    url: URL,
    private readonly config: DatadogExporterConfig,
    /** The JSON payloads of one batch, each with the items it carries. */
    private readonly payloads: (data: SignalData[S]) => { payload: unknown; items: number }[],
  ) {
    this.target = new HttpTarget(url, config.tls, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'dd-api-key': config.api.key, 'user-agent': 'sluice' });
  }

  encode(data: SignalData[S]): Promise<DatadogRequest[]> {
    return Promise.all(this.payloads(data).map(async ({ payload, items }) => ({ body: await gzipAsync(Buffer.from(JSON.stringify(payload))), items })));
  }

  async send(request: DatadogRequest, _context: unknown, abort: AbortSignal): Promise<void> {
    const reply = await this.target.post(request.body, abort);
    throwUnlessOk(reply, { anyServerError: true, hint: reply.status === 403 ? ` (is api.key valid for ${this.config.api.site}?)` : undefined });
  }

  itemsOf(request: DatadogRequest): number {
    return request.items;
  }

  async shutdown(): Promise<void> {
    this.target.close();
  }
}

function metricsSender(url: URL, config: DatadogExporterConfig, telemetry: ExporterTelemetry, logger: Logger): GzipJsonSender<'metrics'> {
  const translator = new DatadogMetricsTranslator();
  const toBody = config.metrics.api_version === 'v1' ? seriesV1 : seriesV2;
  return new GzipJsonSender(url, config, (data: MetricsData) => {
    const { points, skipped } = translator.translate(data);
    if (skipped > 0) {
      telemetry.sendFailed(skipped);
      logger.debug({ skipped }, 'points with no Datadog form (first cumulative sighting, summaries, exponential histograms) not sent');
    }
    return chunkPoints(points, MAX_PAYLOAD_BYTES).map((chunk) => ({ payload: toBody(chunk), items: chunk.length }));
  });
}

function logsSender(url: URL, config: DatadogExporterConfig, telemetry: ExporterTelemetry, logger: Logger): GzipJsonSender<'logs'> {
  return new GzipJsonSender(url, config, (data: LogsData) => {
    const { requests, truncated, dropped } = toLogRequests(data, config.hostname);
    if (truncated > 0) logger.debug({ truncated }, 'log messages cut to fit Datadog\'s 1 MB per entry');
    if (dropped > 0) {
      telemetry.sendFailed(dropped);
      logger.warn({ dropped }, 'log records whose attributes alone exceed Datadog\'s 1 MB per entry were dropped');
    }
    return requests.map((items) => ({ payload: items, items: items.length }));
  });
}

interface TracePayload extends DatadogRequest {
  traces: number;
}

class DatadogTracesSender implements ExportSender<'traces', TracePayload> {
  private readonly translator = new DatadogTraceTranslator();
  private readonly target: HttpTarget;

  constructor(
    url: URL,
    config: DatadogExporterConfig,
    private readonly logger: Logger,
  ) {
    this.target = new HttpTarget(url, config.tls, {
      'content-type': 'application/msgpack',
      'datadog-meta-lang': 'otlp',
      'datadog-meta-lang-version': process.version,
      'datadog-meta-tracer-version': packageVersion(),
      // _top_level is set here, so the agent must not recompute it.
      'datadog-client-computed-top-level': 'yes',
      'user-agent': 'sluice',
    });
  }

  encode(data: TracesData): TracePayload[] {
    // A rough size per span (ids, names, a dozen tags) is enough to keep requests under the limit.
    const chunks = chunkBySize(this.translator.translate(data), (trace) => trace.length * 600, MAX_TRACE_PAYLOAD_BYTES);
    return chunks.map((chunk) => ({ body: Buffer.from(msgpack(chunk, { useBigInt64: true })), traces: chunk.length, items: chunk.reduce((n, trace) => n + trace.length, 0) }));
  }

  async send(payload: TracePayload, _context: unknown, abort: AbortSignal): Promise<void> {
    const reply = await this.target.post(payload.body, abort, { 'x-datadog-trace-count': String(payload.traces) }, 'PUT');
    // The Agent's trace API answers like the intake: every 5xx is worth another try.
    throwUnlessOk(reply, { anyServerError: true });
    this.takeRates(reply.body);
  }

  itemsOf(payload: TracePayload): number {
    return payload.items;
  }

  /** The agent answers with the sampling rates it wants per service and env. */
  private takeRates(body: Buffer): void {
    if (body.length === 0) return;
    try {
      this.translator.updateRates(JSON.parse(body.toString('utf8')));
    } catch (err) {
      this.logger.debug({ error: (err as Error).message }, 'unreadable reply from the Datadog Agent ignored');
    }
  }

  async shutdown(): Promise<void> {
    this.target.close();
  }
}

/** The sender of one signal, each to its own endpoint. */
export function datadogSender(signal: Signal, config: DatadogExporterConfig, telemetry: ExporterTelemetry, logger: Logger): EncodingSender<Signal, DatadogRequest> {
  const base = (endpoint: string | undefined, fallback: string) => (endpoint ?? fallback).replace(/\/+$/, '');
  if (signal === 'traces') {
    const url = new URL(`${base(config.traces.endpoint, '')}/v0.4/traces`);
    return new DatadogTracesSender(url, config, logger) as EncodingSender<Signal, DatadogRequest>;
  }
  if (signal === 'logs') {
    const url = new URL(`${base(config.logs.endpoint, `https://http-intake.logs.${config.api.site}`)}/api/v2/logs`);
    return logsSender(url, config, telemetry, logger) as EncodingSender<Signal, DatadogRequest>;
  }
  const url = new URL(`${base(config.metrics.endpoint, `https://api.${config.api.site}`)}/api/${config.metrics.api_version}/series`);
  return metricsSender(url, config, telemetry, logger) as EncodingSender<Signal, DatadogRequest>;
}

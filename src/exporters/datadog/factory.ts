// `datadog`: one component for all three signals, as in the Collector. Metrics: series to the API
// v2 (or v1, which Datadog-compatible backends such as VictoriaMetrics accept); logs: the HTTP log
// intake v2; both gzip JSON with DD-API-KEY. Traces: msgpack to a Datadog Agent's trace API.
import type http from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { encode as msgpack } from '@msgpack/msgpack';
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import type { LogsData, MetricsData, Signal, TracesData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { clientTlsSchema } from '../client-tls.js';
import { httpPost, keepAliveAgent, throwUnlessOk } from '../http-post.js';
import { chunkBySize } from '../../pipeline/chunk.js';
import { PartedSend } from '../../pipeline/parted-send.js';
import { chunkPoints, DatadogMetricsTranslator, seriesV1, seriesV2, type DatadogPoint } from './metrics.js';
import { DatadogTraceTranslator, type DatadogSpan } from './traces.js';
import { toLogRequests, type DatadogLogItem } from './logs.js';
import { packageVersion } from '../../paths.js';

const gzipAsync = promisify(gzip);

/** Datadog's uncompressed payload limit for series submission is 3.2 MB; stay under it. */
const MAX_PAYLOAD_BYTES = 3_000_000;

const datadogSchema = s.object({
  api: s.object({
    key: s
      .string()
      .required()
      .refine((k) => (k.trim() ? undefined : 'api.key is empty (is DD_API_KEY set?)')),
    site: s.string().default('datadoghq.com'),
  }),
  /** The host for data whose resource has no `host.name`. */
  hostname: s.string().optional(),
  metrics: s.object({
    /** Base URL; `/api/v2/series` (or v1) is appended. Default `https://api.<site>`. */
    endpoint: s.string().optional(),
    api_version: s.enum(['v1', 'v2']).default('v2'),
  }),
  traces: s.object({
    /** The Datadog Agent's trace API; `/v0.4/traces` is appended. */
    endpoint: s.string().default('http://localhost:8126'),
  }),
  logs: s.object({
    /** Base URL; `/api/v2/logs` is appended. Default `https://http-intake.logs.<site>`. */
    endpoint: s.string().optional(),
  }),
  tls: clientTlsSchema,
  ...exporterHelperConfig,
});

export type DatadogExporterConfig = Infer<typeof datadogSchema>;

/** What metrics and logs are sent with: gzip JSON, authenticated with the API key. */
async function postGzipJson(url: URL, payload: unknown, config: DatadogExporterConfig, agent: http.Agent, abort: AbortSignal): Promise<void> {
  const body = await gzipAsync(Buffer.from(JSON.stringify(payload)));
  const reply = await httpPost(url, body, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'dd-api-key': config.api.key, 'user-agent': 'sluice' }, agent, abort);
  throwUnlessOk(reply, { hint: reply.status === 403 ? ` (is api.key valid for ${config.api.site}?)` : undefined });
}

class DatadogMetricsSender implements ExportSender<'metrics'> {
  private readonly translator = new DatadogMetricsTranslator();
  private readonly parts = new PartedSend<DatadogPoint[]>((chunk) => chunk.length);

  constructor(
    private readonly url: URL,
    private readonly config: DatadogExporterConfig,
    private readonly agent: http.Agent,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {}

  async send(data: MetricsData, _context: unknown, abort: AbortSignal): Promise<void> {
    const toBody = this.config.metrics.api_version === 'v1' ? seriesV1 : seriesV2;
    await this.parts.send(data, () => this.chunks(data), (chunk) => postGzipJson(this.url, toBody(chunk), this.config, this.agent, abort));
  }

  /** Translated once per batch: a retry must not compute cumulative increases a second time. */
  private chunks(data: MetricsData): DatadogPoint[][] {
    const { points, skipped } = this.translator.translate(data);
    if (skipped > 0) {
      this.telemetry.sendFailed(skipped);
      this.logger.debug({ skipped }, 'points with no Datadog form (first cumulative sighting, summaries, exponential histograms) not sent');
    }
    return chunkPoints(points, MAX_PAYLOAD_BYTES);
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }
}

class DatadogLogsSender implements ExportSender<'logs'> {
  private readonly parts = new PartedSend<DatadogLogItem[]>((items) => items.length);

  constructor(
    private readonly url: URL,
    private readonly config: DatadogExporterConfig,
    private readonly agent: http.Agent,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {}

  async send(data: LogsData, _context: unknown, abort: AbortSignal): Promise<void> {
    await this.parts.send(data, () => this.requests(data), (items) => postGzipJson(this.url, items, this.config, this.agent, abort));
  }

  private requests(data: LogsData): DatadogLogItem[][] {
    const { requests, truncated, dropped } = toLogRequests(data, this.config.hostname);
    if (truncated > 0) this.logger.debug({ truncated }, 'log messages cut to fit Datadog\'s 1 MB per entry');
    if (dropped > 0) {
      this.telemetry.sendFailed(dropped);
      this.logger.warn({ dropped }, 'log records whose attributes alone exceed Datadog\'s 1 MB per entry were dropped');
    }
    return requests;
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }
}

/** The agent takes payloads of up to 25 MB by default; stay well under it. */
const MAX_TRACE_PAYLOAD_BYTES = 10_000_000;

class DatadogTracesSender implements ExportSender<'traces'> {
  private readonly translator = new DatadogTraceTranslator();
  private readonly parts = new PartedSend<DatadogSpan[][]>((chunk) => chunk.reduce((n, trace) => n + trace.length, 0));

  private readonly version = packageVersion();

  constructor(
    private readonly url: URL,
    private readonly agent: http.Agent,
    private readonly logger: Logger,
  ) {}

  async send(data: TracesData, _context: unknown, abort: AbortSignal): Promise<void> {
    // A rough size per span (ids, names, a dozen tags) is enough to keep requests under the limit.
    const split = () => chunkBySize(this.translator.translate(data), (trace) => trace.length * 600, MAX_TRACE_PAYLOAD_BYTES);
    await this.parts.send(data, split, (chunk) => this.put(chunk, abort));
  }

  private async put(chunk: DatadogSpan[][], abort: AbortSignal): Promise<void> {
    const body = Buffer.from(msgpack(chunk, { useBigInt64: true }));
    const headers = {
      'content-type': 'application/msgpack',
      'datadog-meta-lang': 'otlp',
      'datadog-meta-lang-version': process.version,
      'datadog-meta-tracer-version': this.version,
      // _top_level is set here, so the agent must not recompute it.
      'datadog-client-computed-top-level': 'yes',
      'x-datadog-trace-count': String(chunk.length),
      'user-agent': 'sluice',
    };
    const reply = await httpPost(this.url, body, headers, this.agent, abort, 'PUT');
    throwUnlessOk(reply);
    this.takeRates(reply.body);
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
    this.agent.destroy();
  }
}

function senderFor(signal: Signal, config: DatadogExporterConfig, telemetry: ExporterTelemetry, logger: Logger): ExportSender<Signal> {
  const base = (endpoint: string | undefined, fallback: string) => (endpoint ?? fallback).replace(/\/+$/, '');
  if (signal === 'traces') {
    const url = new URL(`${base(config.traces.endpoint, '')}/v0.4/traces`);
    return new DatadogTracesSender(url, keepAliveAgent(url, config.tls), logger) as ExportSender<Signal>;
  }
  if (signal === 'logs') {
    const url = new URL(`${base(config.logs.endpoint, `https://http-intake.logs.${config.api.site}`)}/api/v2/logs`);
    return new DatadogLogsSender(url, config, keepAliveAgent(url, config.tls), telemetry, logger) as ExportSender<Signal>;
  }
  const url = new URL(`${base(config.metrics.endpoint, `https://api.${config.api.site}`)}/api/${config.metrics.api_version}/series`);
  return new DatadogMetricsSender(url, config, keepAliveAgent(url, config.tls), telemetry, logger) as ExportSender<Signal>;
}

export const datadogExporterFactory: ExporterFactory<DatadogExporterConfig> = {
  kind: 'exporter',
  type: 'datadog',
  description: 'sends traces (to a Datadog Agent), metrics (series API v2, or v1 for Datadog-compatible backends) and logs (HTTP intake) to Datadog',
  signals: ['traces', 'metrics', 'logs'],
  schema: datadogSchema,
  create(settings, config, signal) {
    const sender = senderFor(signal, config, settings.telemetry.exporter(settings.id, signal), settings.logger);
    return createExporter(settings, signal, config, sender);
  },
};

// `statsd`: metrics as StatsD lines over UDP, TCP or a Unix datagram socket, to an Etsy statsd
// daemon or a DogStatsD agent.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import { endpointProblem, parseEndpoint } from '../../config/endpoint.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import { RetryableError } from '../../pipeline/errors.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import { packLines, StatsdEncoder } from './encoder.js';
import { PartedSend } from '../../pipeline/parted-send.js';
import { assertUnixDatagramAvailable, UnixDatagramClient } from './unix-datagram.js';

const statsdSchema = s
  .object({
    /** host:port for udp and tcp; the socket's path for unixgram. */
    endpoint: s.string().default('localhost:8125'),
    protocol: s.enum(['udp', 'tcp', 'unixgram']).default('udp'),
    prefix: s.string().default(''),
    flavor: s.enum(['etsy', 'dogstatsd']).default('etsy'),
    /** Bytes per datagram: several lines share one, never exceeding this (1432 fits a 1500-byte MTU). */
    max_packet_size: s.int({ min: 64, max: 65_507 }).default(1432),
    metric_name_separator: s.string().default('.'),
    ...exporterHelperConfig,
  })
  .refine((c) => (c.protocol === 'unixgram' ? undefined : endpointProblem(c.endpoint)));

export type StatsdExporterConfig = Infer<typeof statsdSchema>;

class StatsdSender implements ExportSender<'metrics'> {
  private udp: dgram.Socket | undefined;
  private tcp: net.Socket | undefined;
  private readonly unix: UnixDatagramClient | undefined;
  /** Items of a payload are its lines, the nearest countable thing to the points they carry. */
  private readonly parts = new PartedSend<{ text: string; lines: number }>((payload) => payload.lines);
  private readonly host: string = '';
  private readonly port: number = 0;

  constructor(
    private readonly config: StatsdExporterConfig,
    private readonly encoder: StatsdEncoder,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {
    if (config.protocol === 'unixgram') this.unix = new UnixDatagramClient(config.endpoint);
    else ({ host: this.host, port: this.port } = parseEndpoint(config.endpoint));
  }

  async send(data: MetricsData, _context: unknown, abort: AbortSignal): Promise<void> {
    await this.parts.send(data, () => this.payloads(data), (payload) => {
      if (this.config.protocol === 'tcp') return this.sendTcp(payload.text);
      if (this.unix) return this.unix.send(Buffer.from(payload.text), abort);
      return this.sendUdp(payload.text);
    });
  }

  /** Encoded once per batch: a retry must not compute cumulative increases a second time. */
  private payloads(data: MetricsData): { text: string; lines: number }[] {
    const { lines, skipped } = this.encoder.encode(data);
    if (skipped > 0) {
      this.telemetry.sendFailed(skipped);
      this.logger.debug({ skipped }, 'points with no StatsD form (first cumulative sighting, summaries, exponential histograms) not sent');
    }
    if (lines.length === 0) return [];
    if (this.config.protocol === 'tcp') return [{ text: `${lines.join('\n')}\n`, lines: lines.length }];
    return packLines(lines, this.config.max_packet_size).map((text) => ({ text, lines: text.split('\n').length }));
  }

  private sendUdp(packet: string): Promise<void> {
    this.udp ??= dgram.createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) =>
      this.udp!.send(packet, this.port, this.host, (err) => (err ? reject(new RetryableError(`statsd UDP send failed: ${err.message}`)) : resolve())),
    );
  }

  private async sendTcp(text: string): Promise<void> {
    if (!this.tcp || this.tcp.destroyed) {
      const socket = net.connect(this.port, this.host);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', (err) => reject(new RetryableError(`statsd TCP connect failed: ${err.message}`)));
      });
      // A broken connection is noticed at the next send, which reconnects.
      socket.on('error', () => socket.destroy());
      this.tcp = socket;
    }
    const socket = this.tcp;
    await new Promise<void>((resolve, reject) => socket.write(text, (err) => (err ? reject(new RetryableError(`statsd TCP send failed: ${err.message}`)) : resolve())));
  }

  async shutdown(): Promise<void> {
    this.udp?.close();
    this.tcp?.end();
    this.unix?.close();
  }
}

export const statsdExporterFactory: ExporterFactory<StatsdExporterConfig> = {
  kind: 'exporter',
  type: 'statsd',
  description: 'sends metrics as StatsD lines (Etsy or DogStatsD) over UDP, TCP or a Unix datagram socket',
  signals: ['metrics'],
  schema: statsdSchema,
  create(settings, config) {
    if (config.protocol === 'unixgram') assertUnixDatagramAvailable();
    const encoder = new StatsdEncoder({ flavor: config.flavor, prefix: config.prefix, separator: config.metric_name_separator, maxTrackedSeries: 100_000 });
    const sender = new StatsdSender(config, encoder, settings.telemetry.exporter(settings.id, 'metrics'), settings.logger);
    return createExporter(settings, 'metrics', config, sender);
  },
};

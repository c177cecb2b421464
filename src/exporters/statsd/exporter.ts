// The StatsD sender: metrics become lines (encoder.ts), packed into datagrams of at most
// max_packet_size (UDP, unixgram) or written as one stream (TCP).
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { parseEndpoint } from '../../config/endpoint.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { RetryableError } from '../../pipeline/errors.js';
import type { MetricsData } from '../../pdata/types.js';
import type { ExporterTelemetry } from '../../telemetry/telemetry.js';
import type { StatsdExporterConfig } from './config.js';
import { packLines, StatsdEncoder } from './encoder.js';
import { UnixDatagramClient } from './unix-datagram.js';

interface Payload {
  text: string;
  lines: number;
}

export class StatsdSender implements ExportSender<'metrics', Payload> {
  private udp: dgram.Socket | undefined;
  private tcp: net.Socket | undefined;
  private readonly unix: UnixDatagramClient | undefined;
  private readonly host: string = '';
  private readonly port: number = 0;
  private readonly encoder: StatsdEncoder;

  constructor(
    private readonly config: StatsdExporterConfig,
    private readonly telemetry: ExporterTelemetry,
    private readonly logger: Logger,
  ) {
    this.encoder = new StatsdEncoder({ flavor: config.flavor, prefix: config.prefix, separator: config.metric_name_separator, maxTrackedSeries: 100_000 });
    if (config.protocol === 'unixgram') this.unix = new UnixDatagramClient(config.endpoint);
    else ({ host: this.host, port: this.port } = parseEndpoint(config.endpoint));
  }

  encode(data: MetricsData): Payload[] {
    const { lines, skipped } = this.encoder.encode(data);
    if (skipped > 0) {
      this.telemetry.sendFailed(skipped);
      this.logger.debug({ skipped }, 'points with no StatsD form (first cumulative sighting, summaries, exponential histograms) not sent');
    }
    if (lines.length === 0) return [];
    if (this.config.protocol === 'tcp') return [{ text: `${lines.join('\n')}\n`, lines: lines.length }];
    return packLines(lines, this.config.max_packet_size).map((text) => ({ text, lines: text.split('\n').length }));
  }

  send(payload: Payload, _context: unknown, abort: AbortSignal): Promise<void> {
    if (this.config.protocol === 'tcp') return this.sendTcp(payload.text);
    if (this.unix) return this.unix.send(Buffer.from(payload.text), abort);
    return this.sendUdp(payload.text);
  }

  /** A payload's lines, the nearest countable thing to the points they carry. */
  itemsOf(payload: Payload): number {
    return payload.lines;
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


// `statsd`: metrics as StatsD lines over UDP, TCP or a Unix datagram socket, to an Etsy statsd
// daemon or a DogStatsD agent.
import type { ExporterFactory } from '../../pipeline/component.js';
import { createExporter } from '../../pipeline/exporter-helper.js';
import { statsdSchema, type StatsdExporterConfig } from './config.js';
import { StatsdSender } from './exporter.js';
import { assertUnixDatagramAvailable } from './unix-datagram.js';

export const statsdExporterFactory: ExporterFactory<StatsdExporterConfig> = {
  kind: 'exporter',
  type: 'statsd',
  description: 'sends metrics as StatsD lines (Etsy or DogStatsD) over UDP, TCP or a Unix datagram socket',
  signals: ['metrics'],
  schema: statsdSchema,
  create(settings, config) {
    if (config.protocol === 'unixgram') assertUnixDatagramAvailable();
    return createExporter(settings, 'metrics', config, new StatsdSender(config, settings.telemetry.exporter(settings.id, 'metrics'), settings.logger));
  },
};

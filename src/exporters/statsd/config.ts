// The statsd exporter's config: endpoint and protocol, prefix, flavor, packet size and separator.
import { s, type Infer } from '../../config/schema.js';
import { endpointProblem } from '../../config/endpoint.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';

export const statsdSchema = s
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

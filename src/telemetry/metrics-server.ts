// Serves our own metrics at /metrics in the Prometheus text format.
import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { Telemetry } from './telemetry.js';
import { closeServer, listen } from '../net/listen.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(telemetry: Telemetry, address: string, logger: Logger): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    telemetry.render().then(
      (text) => res.writeHead(200, { 'content-type': telemetry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        logger.error({ err }, 'rendering own metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('failed to render metrics\n');
      },
    );
  });
  const bound = await listen(server, address);
  logger.info({ address, port: bound }, 'serving own metrics at /metrics');
  return {
    port: bound,
    close: () => closeServer(server),
  };
}

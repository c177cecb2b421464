// The status port: our own metrics at /metrics in the Prometheus text format, and the JSON APIs
// components register (see status-routes.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Telemetry } from './telemetry.js';
import type { StatusHandler } from './status-routes.js';
import { closeServer, listen } from '../net/listen.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** API bodies are small (a silence, a matcher list); more is a mistake or an attack. */
const MAX_BODY_BYTES = 1 << 20;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function serveApi(handler: StatusHandler, req: IncomingMessage, res: ServerResponse, url: URL, logger: Logger, telemetry: Telemetry): void {
  // Counted by status code, so refused API calls (bad silences, bad JSON) show in our own metrics.
  const requests = telemetry.counter('sluice_status_api_requests_total', 'Requests to the JSON APIs on the status port, by method and status code.', ['method', 'code']);
  res.once('finish', () => requests.labels({ method: req.method ?? '', code: String(res.statusCode) }).inc());
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, { status: 'error', errorType: 'bad_data', error: `request body larger than ${MAX_BODY_BYTES} bytes` });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    let body: unknown;
    if (size > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: `request body is not valid JSON: ${(err as Error).message}` });
        return;
      }
    }
    Promise.resolve()
      .then(() => handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body }))
      .then(
        (out) => sendJson(res, out.status, out.body),
        (err: unknown) => {
          logger.error({ err, path: url.pathname }, 'status API handler failed');
          sendJson(res, 500, { status: 'error', errorType: 'internal', error: (err as Error).message });
        },
      );
  });
}

export async function startMetricsServer(telemetry: Telemetry, address: string, logger: Logger): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://status');
    const api = telemetry.routes.match(url.pathname);
    if (api) {
      serveApi(api, req, res, url, logger, telemetry);
      return;
    }
    if (url.pathname !== '/metrics') {
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

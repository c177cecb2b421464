// One HTTP(S) POST (or PUT) with a bounded response body: what every HTTP-speaking exporter sends with.
// Status mapping stays with each exporter, since backends disagree on what is retryable.
import http from 'node:http';
import https from 'node:https';
import { loadClientTls, type ClientTlsConfig } from './client-tls.js';
import { PermanentError, RetryableError } from '../pipeline/errors.js';

/** Replies are statuses or short acknowledgements: anything longer is not worth holding in memory. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function httpPost(url: URL, body: Buffer, headers: http.OutgoingHttpHeaders, agent: http.Agent, abort: AbortSignal, method: 'POST' | 'PUT' = 'POST'): Promise<HttpReply> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': body.length }, agent, signal: abort }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Retry-After as delay-seconds or an HTTP date, in ms. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A keep-alive agent for `url`, with the exporter's client TLS settings when it is https. */
export function keepAliveAgent(url: URL, tlsConfig: ClientTlsConfig): http.Agent {
  if (url.protocol !== 'https:') return new http.Agent({ keepAlive: true });
  const tls = loadClientTls(tlsConfig);
  return new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized, servername: tls.servername });
}

/**
 * Throws for a non-2xx reply: a RetryableError (honouring Retry-After; 429 marks throttling) when
 * `isRetryable(status)`, else a PermanentError carrying the start of the backend's message.
 */
export function throwUnlessOk(reply: HttpReply, isRetryable: (status: number) => boolean, hint = ''): void {
  if (reply.status >= 200 && reply.status < 300) return;
  const message = `HTTP ${reply.status}: ${reply.body.toString('utf8', 0, Math.min(reply.body.length, 512)).trim()}${hint}`;
  if (isRetryable(reply.status)) throw new RetryableError(message, retryAfterMs(reply.headers['retry-after']), reply.status === 429);
  throw new PermanentError(message);
}

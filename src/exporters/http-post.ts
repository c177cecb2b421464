// One HTTP(S) POST (or PUT) with a bounded response body, and the one mapping of its status to
// retryable or permanent errors: what every HTTP-speaking exporter and notifier sends with.
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

function httpPost(url: URL, body: Buffer, headers: http.OutgoingHttpHeaders, agent: http.Agent, abort: AbortSignal, method: 'POST' | 'PUT' = 'POST'): Promise<HttpReply> {
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
function keepAliveAgent(url: URL, tlsConfig: ClientTlsConfig): http.Agent {
  if (url.protocol !== 'https:') return new http.Agent({ keepAlive: true });
  const tls = loadClientTls(tlsConfig);
  return new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized, servername: tls.servername });
}

/** One backend URL with its kept-alive connections and the headers every request carries: what an HTTP sender holds from creation to shutdown. */
export class HttpTarget {
  private readonly agent: http.Agent;

  constructor(
    private readonly url: URL,
    tls: ClientTlsConfig,
    private readonly headers: http.OutgoingHttpHeaders,
  ) {
    this.agent = keepAliveAgent(url, tls);
  }

  /** `extra` headers apply to this request only (a tenant, a count). */
  post(body: Buffer, abort: AbortSignal, extra?: http.OutgoingHttpHeaders, method?: 'POST' | 'PUT'): Promise<HttpReply> {
    return httpPost(this.url, body, extra ? { ...this.headers, ...extra } : this.headers, this.agent, abort, method);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/**
 * Statuses after which the same request may succeed later: the Collector's otlphttp exporter and
 * the OTLP/HTTP specification's set. `anyServerError` widens it to every 5xx where the protocol's
 * specification requires that (Prometheus remote write) or the reference client does it (the
 * Collector's loki exporter, the Datadog Agent, Alertmanager's notifiers).
 */
export function isRetryableStatus(status: number, anyServerError = false): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || (anyServerError && status >= 500 && status < 600);
}

export interface ReplyCheck {
  /** What the backend said, for exporters that decode error bodies; by default the start of the body as text. */
  detail?: string;
  /** Appended to the message: the likely misconfiguration behind a status. */
  hint?: string;
  /** See isRetryableStatus. */
  anyServerError?: boolean;
}

/**
 * Throws for a non-2xx reply: a RetryableError (honouring Retry-After; 429 marks throttling) when
 * the status is retryable, else a PermanentError carrying the backend's message.
 */
export function throwUnlessOk(reply: HttpReply, check: ReplyCheck = {}): void {
  if (reply.status >= 200 && reply.status < 300) return;
  const detail = check.detail ?? reply.body.toString('utf8', 0, Math.min(reply.body.length, 512)).trim();
  const message = `HTTP ${reply.status}${detail ? `: ${detail}` : ''}${check.hint ?? ''}`;
  if (isRetryableStatus(reply.status, check.anyServerError)) throw new RetryableError(message, retryAfterMs(reply.headers['retry-after']), reply.status === 429);
  throw new PermanentError(message);
}

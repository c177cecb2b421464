// OTLP/HTTP: POST protobuf or JSON bodies, optionally gzip/deflate-encoded, to one path per signal.
// Every limit is enforced before memory is spent: the declared length, the bytes read, and the
// decompressed size.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzip, inflate, inflateRaw, type InputType, type ZlibOptions } from 'node:zlib';
import type { Logger } from 'pino';
import { encodeExportResponse, encodeRpcStatus, otlpCodecs, type PartialSuccess } from '../../codec/otlp-proto.js';
import { decodeOtlpJson } from '../../codec/otlp-json.js';
import { listen } from '../../net/listen.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { ReceiverTelemetry } from '../../telemetry/telemetry.js';
import { DEFAULT_MAX_REQUEST_BODY_SIZE, type OtlpHttpConfig } from './config.js';
import type { Ingest } from './ingest.js';
import { loadServerTls } from './tls.js';

type Encoding = 'proto' | 'json';

/** google.rpc.Code values used in error bodies. */
const RPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
    /** Label for sluice_receiver_bad_requests. */
    readonly reason: string,
  ) {
    super(message);
  }
}

function contentEncoding(type: string | undefined): Encoding | undefined {
  const mime = (type ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'proto';
  if (mime === 'application/json') return 'json';
  return undefined;
}

type Inflate = (buf: InputType, options: ZlibOptions, cb: (err: Error | null, out: Buffer) => void) => void;

function inflateBounded(fn: Inflate, body: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => fn(body, { maxOutputLength: limit }, (err, out) => (err ? reject(err) : resolve(out))));
}

/** A glob over an origin (`https://*.example.com`), compiled once. */
function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`, 'i'));
  return (origin) => res.some((re) => re.test(origin));
}

/** Node's own interval for sweeping connections past their header or request timeout. */
const NODE_CONNECTIONS_CHECKING_INTERVAL_MS = 30_000;

/**
 * The Collector's (Go's http.Server) read timeouts as Node's. Go falls back to read_timeout where
 * the header or idle timeout is 0, and its read_timeout bounds the headers too, which is why Node
 * refuses a header timeout longer than the request timeout.
 */
export function timeoutOptions(config: OtlpHttpConfig): ServerOptions {
  const read = Math.ceil(config.read_timeout);
  const headers = Math.min(Math.ceil(config.read_header_timeout) || read, read || Infinity);
  const shortest = Math.min(...[headers, read].filter((t) => t > 0));
  return {
    headersTimeout: headers,
    requestTimeout: read,
    // Node adds a second of grace to this, so clients that honour its Keep-Alive header never race the close.
    keepAliveTimeout: Math.ceil(config.idle_timeout) || read,
    // Timeouts are only noticed at a sweep; at Node's 30s a 1m header timeout could run to 90s.
    connectionsCheckingInterval: Math.min(NODE_CONNECTIONS_CHECKING_INTERVAL_MS, Math.ceil(shortest / 10)),
  };
}

/** Headers a browser may always send to us, on top of the configured ones. */
const ALWAYS_ALLOWED_HEADERS = ['content-type', 'content-encoding', 'accept', 'x-requested-with'];

export class OtlpHttpServer {
  private server: Server | undefined;
  private readonly routes: Map<string, Signal>;
  private readonly originAllowed: (origin: string) => boolean;
  private readonly allowedHeaders: Set<string>;
  private inFlight = 0;
  private onIdle: (() => void) | undefined;
  private closing = false;
  /** Bounds the body as sent and its decompressed size alike. */
  private readonly bodyLimit: number;

  constructor(
    private readonly config: OtlpHttpConfig,
    private readonly ingest: Ingest,
    private readonly telemetry: ReceiverTelemetry,
    private readonly logger: Logger,
  ) {
    this.routes = new Map([
      [config.traces_url_path, 'traces'],
      [config.metrics_url_path, 'metrics'],
      [config.logs_url_path, 'logs'],
    ]);
    this.bodyLimit = config.max_request_body_size || DEFAULT_MAX_REQUEST_BODY_SIZE;
    this.originAllowed = originMatcher(config.cors?.allowed_origins ?? []);
    const configured = (config.cors?.allowed_headers ?? []).map((h) => h.toLowerCase());
    this.allowedHeaders = new Set([...ALWAYS_ALLOWED_HEADERS, ...configured]);
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.track(req, res);
    const timeouts = timeoutOptions(this.config);
    if (this.config.tls) {
      const tls = loadServerTls(this.config.tls);
      this.server = createHttpsServer(
        { ...timeouts, cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: Boolean(tls.clientCa), rejectUnauthorized: Boolean(tls.clientCa) },
        handler,
      );
    } else {
      this.server = createHttpServer(timeouts, handler);
    }
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
    const port = await listen(this.server, this.config.endpoint);
    this.logger.info({ endpoint: this.config.endpoint, port }, 'OTLP/HTTP receiver listening');
  }

  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting at once; requests in flight are answered until the deadline, then connections are cut. */
  shutdown(deadline: number): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.closing = true;
    server.close();
    server.closeIdleConnections();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(force);
        server.closeAllConnections();
        resolve();
      };
      const force = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.onIdle = done;
      if (this.inFlight === 0) done();
    });
  }

  private track(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    // As Go's WriteTimeout: an answer not written in time fails, and its connection with it.
    const writeTimeout = this.config.write_timeout > 0 ? setTimeout(() => res.destroy(), this.config.write_timeout) : undefined;
    res.once('close', () => {
      clearTimeout(writeTimeout);
      if (--this.inFlight === 0) this.onIdle?.();
    });
    this.handle(req, res).catch((err: unknown) => {
      // Only a bug gets here; the client still gets an answer and the process carries on.
      this.logger.error({ err }, 'unexpected error handling an OTLP/HTTP request');
      if (!res.headersSent) this.sendError(res, 'json', new HttpError(500, RPC.UNAVAILABLE, 'internal error', 'internal'));
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    this.applyCors(req, res);
    const signal = this.routes.get(path);
    const encoding = contentEncoding(req.headers['content-type']) ?? 'json';
    try {
      if (!signal) throw new HttpError(404, RPC.NOT_FOUND, `no OTLP endpoint at ${path}`, 'not_found');
      if (req.method === 'OPTIONS') {
        this.preflight(req, res);
        return;
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST, OPTIONS');
        throw new HttpError(405, RPC.UNIMPLEMENTED, `method ${req.method} not allowed; use POST`, 'method_not_allowed');
      }
      if (!this.ingest.accepts(signal)) throw new HttpError(404, RPC.NOT_FOUND, `this receiver has no ${signal} pipeline`, 'not_found');
      if (!contentEncoding(req.headers['content-type'])) {
        throw new HttpError(415, RPC.INVALID_ARGUMENT, `unsupported content type "${req.headers['content-type'] ?? ''}"; use application/x-protobuf or application/json`, 'unsupported_media_type');
      }
      const body = await this.readBody(req);
      const data = this.decode(signal, encoding, body);
      const metadata = this.config.include_metadata ? headerMap(req) : undefined;
      const outcome = await this.ingest.submit(signal, data, body.length, metadata, encoding === 'proto' ? body : undefined);
      if (outcome.kind === 'accepted') {
        this.send(res, 200, encoding, encoding === 'proto' ? encodeExportResponse(signal, outcome.partial) : exportResponseJson(signal, outcome.partial));
      } else if (outcome.kind === 'permanent') {
        this.sendError(res, encoding, new HttpError(400, RPC.INVALID_ARGUMENT, outcome.message, 'rejected'));
      } else {
        res.setHeader('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
        const status = outcome.throttled ? 429 : 503;
        this.sendError(res, encoding, new HttpError(status, outcome.throttled ? RPC.RESOURCE_EXHAUSTED : RPC.UNAVAILABLE, outcome.message, 'refused'));
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (err.status === 413) this.discardRest(req, res);
      this.sendError(res, encoding, err, { method: req.method, path });
    }
  }

  /**
   * Lets the client finish sending an oversized body so it can read our 413, without keeping any of
   * it; a client that keeps sending far past the limit has its connection cut.
   */
  private discardRest(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('connection', 'close');
    const cap = 4 * this.bodyLimit;
    let discarded = 0;
    req.removeAllListeners('data');
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > cap) req.destroy();
    });
    req.resume();
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const limit = this.bodyLimit;
    const tooLarge = () => new HttpError(413, RPC.RESOURCE_EXHAUSTED, `request body larger than max_request_body_size (${limit} bytes)`, 'too_large');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) throw tooLarge();
    const codingHeader = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (!['gzip', 'x-gzip', 'deflate', 'identity', ''].includes(codingHeader)) {
      throw new HttpError(400, RPC.INVALID_ARGUMENT, `unsupported Content-Encoding "${codingHeader}"; use gzip, deflate or none`, 'bad_encoding');
    }
    // Listeners rather than for-await: leaving a for-await early destroys the request, and the
    // client would see a reset instead of our 413.
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) {
          chunks.push(chunk);
          return;
        }
        req.off('data', onData).off('end', onEnd).off('error', onError);
        req.pause();
        reject(tooLarge());
      };
      const onEnd = () => resolve(Buffer.concat(chunks, size));
      const onError = (err: Error) => reject(new HttpError(400, RPC.INVALID_ARGUMENT, `request body aborted: ${err.message}`, 'aborted'));
      req.on('data', onData).on('end', onEnd).on('error', onError);
    });
    if (codingHeader === 'identity' || codingHeader === '' || raw.length === 0) return raw;
    try {
      if (codingHeader === 'deflate') {
        // "deflate" is zlib-wrapped by the HTTP spec, but some clients send a raw stream.
        return await inflateBounded(inflate, raw, limit).catch((err: NodeJS.ErrnoException) =>
          err.code === 'ERR_BUFFER_TOO_LARGE' ? Promise.reject(err) : inflateBounded(inflateRaw, raw, limit),
        );
      }
      return await inflateBounded(gunzip, raw, limit);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new HttpError(413, RPC.RESOURCE_EXHAUSTED, `decompressed body larger than max_request_body_size (${limit} bytes)`, 'too_large');
      }
      throw new HttpError(400, RPC.INVALID_ARGUMENT, `cannot decompress ${codingHeader} body: ${(err as Error).message}`, 'bad_encoding');
    }
  }

  private decode(signal: Signal, encoding: Encoding, body: Buffer): SignalData[Signal] {
    try {
      if (encoding === 'proto') return otlpCodecs[signal].decode(body);
      return decodeOtlpJson(signal, body.length === 0 ? '{}' : body);
    } catch (err) {
      throw new HttpError(400, RPC.INVALID_ARGUMENT, `cannot decode ${signal} request as ${encoding === 'proto' ? 'protobuf' : 'JSON'}: ${(err as Error).message}`, 'undecodable');
    }
  }

  private applyCors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin || !this.config.cors || !this.originAllowed(origin)) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
  }

  private preflight(req: IncomingMessage, res: ServerResponse): void {
    if (res.hasHeader('access-control-allow-origin')) {
      const requested = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean);
      const allowAll = this.allowedHeaders.has('*');
      const granted = requested.filter((h) => allowAll || this.allowedHeaders.has(h));
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      if (granted.length) res.setHeader('access-control-allow-headers', granted.join(', '));
      if (this.config.cors?.max_age !== undefined) res.setHeader('access-control-max-age', String(this.config.cors.max_age));
    }
    res.writeHead(204).end();
  }

  private send(res: ServerResponse, status: number, encoding: Encoding, body: Uint8Array | string): void {
    // Answers given while stopping end their connection, so a keep-alive client sends its next
    // request to a new connection (refused, so it retries elsewhere) rather than one about to be cut.
    if (this.closing) res.setHeader('connection', 'close');
    res.writeHead(status, { 'content-type': encoding === 'proto' ? 'application/x-protobuf' : 'application/json' }).end(body);
  }

  /** With `badRequest`, the request is counted and logged as malformed: by reason only, since messages may quote headers or payload. */
  private sendError(res: ServerResponse, encoding: Encoding, err: HttpError, badRequest?: { method?: string; path: string }): void {
    if (badRequest) {
      this.telemetry.badRequest(err.reason);
      this.logger.debug({ ...badRequest, status: err.status, reason: err.reason }, 'rejected OTLP/HTTP request');
    }
    const body = encoding === 'proto' ? encodeRpcStatus(err.rpcCode, err.message) : JSON.stringify({ code: err.rpcCode, message: err.message });
    this.send(res, err.status, encoding, body);
  }
}

/** The Export response in OTLP/JSON; int64 counts as decimal strings, as the protobuf JSON mapping has them. */
function exportResponseJson(signal: Signal, partial?: PartialSuccess): string {
  if (!partial || (partial.rejected === 0 && !partial.errorMessage)) return '{}';
  return JSON.stringify({ partialSuccess: { [otlpCodecs[signal].rejectedField]: String(partial.rejected), errorMessage: partial.errorMessage } });
}

function headerMap(req: IncomingMessage): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, values] of Object.entries(req.headersDistinct)) if (values) out.set(key, values);
  return out;
}

// The OTLP/HTTP sender: one POST per batch (protobuf or JSON, optionally gzip), with the status
// mapping of the OTLP/HTTP specification.
import http from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from 'pino';
import { decodeExportResponse, otlpCodecs, rpcStatusType } from '../../codec/otlp-proto.js';
import { encodeOtlpJson } from '../../codec/otlp-json.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { PermanentError } from '../../pipeline/errors.js';
import { httpPost, throwUnlessOk, type HttpReply } from '../http-post.js';

const gzipAsync = promisify(gzip);

export interface HttpSenderOptions {
  url: URL;
  encoding: 'proto' | 'json';
  compression: 'gzip' | 'none';
  headers: Record<string, string>;
  /** Keep-alive connections, owned by the sender. */
  agent: http.Agent;
}

export class HttpSender<S extends Signal> implements ExportSender<S> {
  private readonly contentType: string;

  constructor(
    private readonly signal: S,
    private readonly options: HttpSenderOptions,
    private readonly logger: Logger,
  ) {
    this.contentType = options.encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  }

  async send(data: SignalData[S], _context: unknown, abort: AbortSignal): Promise<void> {
    let body: Buffer;
    try {
      if (this.options.encoding === 'json') {
        body = Buffer.from(encodeOtlpJson(this.signal, data));
      } else {
        const bytes = otlpCodecs[this.signal].encode(data);
        body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
    } catch (err) {
      // Data that cannot be encoded now never will be: retrying would only delay the queue.
      throw new PermanentError(`cannot encode ${this.signal} as OTLP/${this.options.encoding}: ${(err as Error).message}`);
    }
    if (this.options.compression === 'gzip') body = await gzipAsync(body);
    const reply = await this.post(body, abort);
    throwUnlessOk(reply, { detail: statusMessage(reply) });
    this.reportPartialSuccess(reply);
  }

  private post(body: Buffer, abort: AbortSignal): Promise<HttpReply> {
    const headers: http.OutgoingHttpHeaders = { ...this.options.headers, 'content-type': this.contentType, 'user-agent': 'sluice' };
    if (this.options.compression === 'gzip') headers['content-encoding'] = 'gzip';
    return httpPost(this.options.url, body, headers, this.options.agent, abort);
  }

  /** Called after the queue has drained: closes the kept-alive connections. */
  async shutdown(): Promise<void> {
    this.options.agent.destroy();
  }

  /** Rejected items in a successful reply are the server's final word: log them, never retry. */
  private reportPartialSuccess(reply: HttpReply): void {
    if (reply.body.length === 0) return;
    let rejected = 0;
    let errorMessage = '';
    try {
      if (isJson(reply)) {
        const partial = (JSON.parse(reply.body.toString('utf8')) as { partialSuccess?: Record<string, unknown> }).partialSuccess;
        rejected = Number(partial?.[otlpCodecs[this.signal].rejectedField] ?? 0);
        errorMessage = String(partial?.errorMessage ?? '');
      } else {
        const partial = decodeExportResponse(this.signal, reply.body);
        rejected = partial?.rejected ?? 0;
        errorMessage = partial?.errorMessage ?? '';
      }
    } catch (err) {
      this.logger.debug({ error: (err as Error).message }, 'Undecodable export response body ignored');
      return;
    }
    if (rejected > 0 || errorMessage) {
      this.logger.warn({ rejected, message: errorMessage }, 'Partial success response from the server');
    }
  }
}

function isJson(reply: HttpReply): boolean {
  return /\bjson\b/i.test(reply.headers['content-type'] ?? '');
}

/** The google.rpc.Status message of an error body, in the body's content type; raw text as a fallback. */
function statusMessage(reply: HttpReply): string {
  if (reply.body.length === 0) return '';
  try {
    if (isJson(reply)) return String((JSON.parse(reply.body.toString('utf8')) as { message?: unknown }).message ?? '');
    if (/protobuf/i.test(reply.headers['content-type'] ?? '')) return (rpcStatusType.decode(reply.body) as unknown as { message?: string }).message ?? '';
  } catch {
    // Fall through to the text: a misdeclared body still says something useful.
  }
  return reply.body.toString('utf8', 0, Math.min(reply.body.length, 512)).trim();
}

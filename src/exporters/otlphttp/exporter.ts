// The OTLP/HTTP sender: one POST per batch (protobuf or JSON, optionally gzip), with the status
// mapping of the OTLP/HTTP specification.
import type http from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from 'pino';
import { decodeExportResponse, joinEncodedRequests, otlpBuffer, otlpCodecs, rpcStatusType } from '../../codec/otlp-proto.js';
import { encodeOtlpJson } from '../../codec/otlp-json.js';
import type { Signal, SignalData } from '../../pdata/types.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { HttpTarget, throwUnlessOk, type HttpReply } from '../http-post.js';
import { signalUrl, type OtlpHttpExporterConfig } from './config.js';

const gzipAsync = promisify(gzip);

export class HttpSender<S extends Signal> implements ExportSender<S, Buffer> {
  private readonly target: HttpTarget;
  /** Protobuf bodies join (JSON ones would need their arrays merged, so they are encoded whole). */
  readonly join: ((requests: Buffer[]) => Buffer) | undefined;
  /** A protobuf body is the stored OTLP itself. */
  readonly fromOtlp: ((otlp: Uint8Array) => Buffer) | undefined;

  constructor(
    private readonly signal: S,
    private readonly config: OtlpHttpExporterConfig,
    private readonly logger: Logger,
  ) {
    const headers: http.OutgoingHttpHeaders = { ...config.headers, 'content-type': config.encoding === 'json' ? 'application/json' : 'application/x-protobuf', 'user-agent': 'sluice' };
    if (config.compression === 'gzip') headers['content-encoding'] = 'gzip';
    this.target = new HttpTarget(signalUrl(config, signal), config.tls, headers);
    this.join = config.encoding === 'json' ? undefined : joinEncodedRequests;
    this.fromOtlp = config.encoding === 'json' ? undefined : otlpBuffer;
  }

  encode(data: SignalData[S]): Buffer[] {
    if (this.config.encoding === 'json') return [Buffer.from(encodeOtlpJson(this.signal, data))];
    return [otlpBuffer(otlpCodecs[this.signal].encode(data))];
  }

  async send(body: Buffer, _context: unknown, abort: AbortSignal): Promise<void> {
    // Compressed per attempt so that encoded bodies can still be joined into a batch.
    const reply = await this.target.post(this.config.compression === 'gzip' ? await gzipAsync(body) : body, abort);
    throwUnlessOk(reply, { detail: statusMessage(reply) });
    this.reportPartialSuccess(reply);
  }

  async shutdown(): Promise<void> {
    this.target.close();
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

// The Loki sender: log records become streams (streams.ts), grouped into one push per tenant
// (X-Scope-OrgID), as snappy-compressed logproto.PushRequest or JSON.
import snappy from 'snappy';
import type { Logger } from 'pino';
import type { EnvelopeContext } from '../../pipeline/envelope.js';
import type { ExportSender } from '../../pipeline/exporter-helper.js';
import { PermanentError } from '../../pipeline/errors.js';
import type { LogsData } from '../../pdata/types.js';
import { loadProtos } from '../../codec/proto-root.js';
import { HttpTarget, throwUnlessOk } from '../http-post.js';
import type { LokiExporterConfig } from './config.js';
import { toStreams, type LokiStream } from './streams.js';

const pushRequestType = loadProtos(['loki/push.proto']).lookupType('logproto.PushRequest');

/** Streams already reported as refused; cleared when full so memory stays bounded. */
const MAX_REMEMBERED_STREAMS = 10_000;

/** One push: a tenant's streams, encoded; the stream keys and sizes stay for reporting a refusal. */
interface LokiPush {
  tenant: string | undefined;
  body: Buffer;
  streams: { key: string; entries: number }[];
}

function authorization(auth: LokiExporterConfig['auth']): string | undefined {
  if (auth.bearer_token) return `Bearer ${auth.bearer_token}`;
  if (auth.username) return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return undefined;
}

/** logproto.PushRequest, snappy block-compressed. */
function protobufBody(streams: LokiStream[]): Buffer {
  const message = {
    streams: streams.map((st) => ({
      labels: st.key,
      entries: st.entries.map((e) => ({
        timestamp: { seconds: Number(e.timeNs / 1_000_000_000n), nanos: Number(e.timeNs % 1_000_000_000n) },
        line: e.line,
        structuredMetadata: e.metadata.map(([name, value]) => ({ name, value })),
      })),
    })),
  };
  return snappy.compressSync(Buffer.from(pushRequestType.encode(message).finish()));
}

/** Loki's JSON push body: timestamps as decimal nanosecond strings, metadata as a third element. */
function jsonBody(streams: LokiStream[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      streams: streams.map((st) => ({
        stream: Object.fromEntries(st.labels),
        values: st.entries.map((e) => (e.metadata.length ? [e.timeNs.toString(), e.line, Object.fromEntries(e.metadata)] : [e.timeNs.toString(), e.line])),
      })),
    }),
  );
}

export class LokiSender implements ExportSender<'logs', LokiPush> {
  private readonly reported = new Set<string>();
  private readonly target: HttpTarget;

  constructor(
    private readonly config: LokiExporterConfig,
    private readonly logger: Logger,
  ) {
    const auth = authorization(config.auth);
    this.target = new HttpTarget(new URL(config.endpoint), config.tls, {
      ...config.headers,
      'content-type': config.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
      'user-agent': 'sluice',
      ...(auth ? { authorization: auth } : {}),
    });
  }

  /** One push per tenant: X-Scope-OrgID applies to a whole push. */
  encode(data: LogsData, context: EnvelopeContext): LokiPush[] {
    const tenantConfig = this.config.tenant;
    const streams = toStreams(data, {
      format: this.config.format,
      structuredMetadata: this.config.structured_metadata,
      resourceLabels: this.config.labels.resource,
      attributeLabels: this.config.labels.attributes,
      defaultLabels: this.config.default_labels_enabled,
      tenantAttribute: tenantConfig?.source === 'attributes' ? tenantConfig.value : undefined,
    });
    const fixed = tenantConfig?.source === 'static' || tenantConfig?.source === 'context';
    const fixedTenant = tenantConfig?.source === 'static' ? tenantConfig.value : tenantConfig?.source === 'context' ? context.metadata.get(tenantConfig.value.toLowerCase())?.[0] : undefined;
    const groups = new Map<string | undefined, LokiStream[]>();
    for (const stream of streams) {
      const tenant = fixed ? fixedTenant : stream.tenant;
      const list = groups.get(tenant) ?? [];
      list.push(stream);
      groups.set(tenant, list);
    }
    return [...groups].map(([tenant, list]) => ({
      tenant,
      body: this.config.encoding === 'protobuf' ? protobufBody(list) : jsonBody(list),
      streams: list.map((st) => ({ key: st.key, entries: st.entries.length })),
    }));
  }

  async send(push: LokiPush, _context: unknown, abort: AbortSignal): Promise<void> {
    const reply = await this.target.post(push.body, abort, push.tenant ? { 'x-scope-orgid': push.tenant } : undefined);
    try {
      // As the Collector's loki exporter: every 5xx and 429 is retried, any other 4xx is final.
      throwUnlessOk(reply, { anyServerError: true });
    } catch (err) {
      if (err instanceof PermanentError) this.reportRefusal(push, reply.body.toString('utf8', 0, Math.min(reply.body.length, 1024)).trim());
      throw err;
    }
  }

  itemsOf(push: LokiPush): number {
    return push.streams.reduce((n, st) => n + st.entries, 0);
  }

  /** Loki refuses per stream (out of order, too old, rate limited): say so once per stream, with Loki's reason. */
  private reportRefusal({ tenant, streams }: LokiPush, reason: string): void {
    for (const stream of streams) {
      const id = `${tenant ?? ''}\u0000${stream.key}`;
      if (this.reported.has(id)) continue;
      if (this.reported.size >= MAX_REMEMBERED_STREAMS) this.reported.clear();
      this.reported.add(id);
      this.logger.warn({ stream: stream.key, tenant, entries: stream.entries, reason }, 'Loki refused entries of this stream; they are dropped (further refusals of this stream are not logged)');
    }
  }

  async shutdown(): Promise<void> {
    this.target.close();
  }
}

// `loki`: log records to Grafana Loki's push API, as snappy-compressed logproto.PushRequest
// (the default) or JSON, one request per tenant (X-Scope-OrgID). Translation in streams.ts.
import type http from 'node:http';
import snappy from 'snappy';
import type { Logger } from 'pino';
import { s, type Infer } from '../../config/schema.js';
import type { ExporterFactory } from '../../pipeline/component.js';
import type { EnvelopeContext } from '../../pipeline/envelope.js';
import { createExporter, exporterHelperConfig, type ExportSender } from '../../pipeline/exporter-helper.js';
import { PermanentError } from '../../pipeline/errors.js';
import { PartedSend } from '../../pipeline/parted-send.js';
import type { LogsData } from '../../pdata/types.js';
import { loadProtos } from '../../codec/proto-root.js';
import { clientTlsSchema } from '../client-tls.js';
import { httpPost, keepAliveAgent, throwUnlessOk } from '../http-post.js';
import { toStreams, type LokiStream } from './streams.js';

const pushRequestType = loadProtos(['loki/push.proto']).lookupType('logproto.PushRequest');

/** Streams already reported as refused; cleared when full so memory stays bounded. */
const MAX_REMEMBERED_STREAMS = 10_000;

const lokiSchema = s
  .object({
    endpoint: s.string().required().refine((v) => (/^https?:\/\//.test(v) ? undefined : `expected an http:// or https:// URL such as http://loki:3100/loki/api/v1/push, got "${v}"`)),
    encoding: s.enum(['protobuf', 'json']).default('protobuf'),
    /** The line format unless a record's `loki.format` hint says otherwise. */
    format: s.enum(['json', 'logfmt', 'raw']).default('json'),
    structured_metadata: s.bool().default(false),
    tenant: s
      .object({
        source: s.enum(['static', 'attributes', 'context']).default('static'),
        /** The tenant (static), a resource attribute's name (attributes), or a request header's name (context). */
        value: s.string().required(),
      })
      .optional(),
    labels: s.object({
      resource: s.map(s.string()).default({}),
      attributes: s.map(s.string()).default({}),
    }),
    default_labels_enabled: s.object({
      exporter: s.bool().default(true),
      job: s.bool().default(true),
      instance: s.bool().default(true),
      level: s.bool().default(true),
    }),
    headers: s.map(s.string()).default({}),
    auth: s
      .object({
        username: s.string().optional(),
        password: s.string().optional(),
        bearer_token: s.string().optional(),
      })
      .refine((a) => {
        if (a.bearer_token && (a.username || a.password)) return 'use either username/password (basic) or bearer_token, not both';
        if (Boolean(a.username) !== Boolean(a.password)) return 'basic auth needs both username and password';
        return undefined;
      }),
    tls: clientTlsSchema,
    ...exporterHelperConfig,
  });

export type LokiExporterConfig = Infer<typeof lokiSchema>;

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

class LokiSender implements ExportSender<'logs'> {
  private readonly reported = new Set<string>();
  private readonly parts = new PartedSend<[string | undefined, LokiStream[]]>(([, streams]) => streams.reduce((n, st) => n + st.entries.length, 0));
  private readonly headers: http.OutgoingHttpHeaders;

  constructor(
    private readonly url: URL,
    private readonly config: LokiExporterConfig,
    private readonly agent: http.Agent,
    private readonly logger: Logger,
  ) {
    const auth = authorization(config.auth);
    this.headers = {
      ...config.headers,
      'content-type': config.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
      'user-agent': 'sluice',
      ...(auth ? { authorization: auth } : {}),
    };
  }

  async send(data: LogsData, context: EnvelopeContext, abort: AbortSignal): Promise<void> {
    await this.parts.send(data, () => this.byTenant(data, context), ([tenant, streams]) => this.push(tenant, streams, abort));
  }

  /** One request per tenant: X-Scope-OrgID applies to a whole push. */
  private byTenant(data: LogsData, context: EnvelopeContext): [string | undefined, LokiStream[]][] {
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
    return [...groups];
  }

  private async push(tenant: string | undefined, streams: LokiStream[], abort: AbortSignal): Promise<void> {
    const body = this.config.encoding === 'protobuf' ? protobufBody(streams) : jsonBody(streams);
    const reply = await httpPost(this.url, body, tenant ? { ...this.headers, 'x-scope-orgid': tenant } : this.headers, this.agent, abort);
    try {
      throwUnlessOk(reply);
    } catch (err) {
      if (err instanceof PermanentError) this.reportRefusal(tenant, streams, reply.body.toString('utf8', 0, Math.min(reply.body.length, 1024)).trim());
      throw err;
    }
  }

  /** Loki refuses per stream (out of order, too old, rate limited): say so once per stream, with Loki's reason. */
  private reportRefusal(tenant: string | undefined, streams: LokiStream[], reason: string): void {
    for (const stream of streams) {
      const id = `${tenant ?? ''}\u0000${stream.key}`;
      if (this.reported.has(id)) continue;
      if (this.reported.size >= MAX_REMEMBERED_STREAMS) this.reported.clear();
      this.reported.add(id);
      this.logger.warn({ stream: stream.key, tenant, entries: stream.entries.length, reason }, 'Loki refused entries of this stream; they are dropped (further refusals of this stream are not logged)');
    }
  }

  async shutdown(): Promise<void> {
    this.agent.destroy();
  }
}

export const lokiExporterFactory: ExporterFactory<LokiExporterConfig> = {
  kind: 'exporter',
  type: 'loki',
  description: 'sends logs to Grafana Loki (push API, snappy protobuf or JSON), per tenant',
  signals: ['logs'],
  schema: lokiSchema,
  create(settings, config) {
    const url = new URL(config.endpoint);
    const sender = new LokiSender(url, config, keepAliveAgent(url, config.tls), settings.logger);
    return createExporter(settings, 'logs', config, sender);
  },
};

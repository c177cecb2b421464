// OTLP spans → the Datadog Agent's trace API v0.4 (msgpack: an array of traces, each an array of
// spans), following Datadog's OTLP mapping: 64-bit ids from the low half of the trace id (the high
// half in `_dd.p.tid`), operation name from scope and kind, resource from the HTTP route, and the
// agent's `rate_by_service` applied as the sampling priority of later traces.
import type { KeyValue, Span, TracesData } from '../../pdata/types.js';
import { anyValueToString, getStringAttribute } from '../../pdata/attributes.js';
import { idToHex, isEmptyId } from '../../pdata/ids.js';
import { int64ToBigInt } from '../../pdata/time.js';

export interface DatadogSpan {
  trace_id: bigint;
  span_id: bigint;
  parent_id: bigint;
  service: string;
  name: string;
  resource: string;
  type: string;
  start: bigint;
  duration: bigint;
  error: number;
  meta: Record<string, string>;
  metrics: Record<string, number>;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS = ['Unset', 'Ok', 'Error'];
const KNUTH_FACTOR = 1_111_111_111_111_111_111n;
const MAX_UINT64 = 2n ** 64n;

/** An id's last eight bytes as an unsigned 64-bit number. */
function low64(id: Uint8Array | undefined): bigint {
  if (!id || id.length < 8) return 0n;
  return Buffer.from(id.buffer, id.byteOffset + id.length - 8, 8).readBigUInt64BE(0);
}

function numeric(kv: KeyValue): number | undefined {
  const v = kv.value;
  if (v?.doubleValue != null) return v.doubleValue;
  if (v?.intValue != null) return Number(int64ToBigInt(v.intValue));
  return undefined;
}

/** The sampler Datadog's tracers share: keep when the Knuth hash of the trace id falls under the rate. */
export function keepsTrace(traceId: bigint, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return (traceId * KNUTH_FACTOR) % MAX_UINT64 <= BigInt(Math.floor(rate * 2 ** 64));
}

export class DatadogTraceTranslator {
  /** The agent's latest `rate_by_service`, keyed `service:<name>,env:<env>`. */
  private rates = new Map<string, number>();

  updateRates(reply: unknown): void {
    const rates = (reply as { rate_by_service?: Record<string, unknown> } | undefined)?.rate_by_service;
    if (!rates || typeof rates !== 'object') return;
    this.rates = new Map(Object.entries(rates).filter((e): e is [string, number] => typeof e[1] === 'number'));
  }

  private rate(service: string, env: string): number {
    return this.rates.get(`service:${service},env:${env}`) ?? this.rates.get('service:,env:') ?? 1;
  }

  translate(data: TracesData): DatadogSpan[][] {
    const traces = new Map<string, DatadogSpan[]>();
    // Which service each span belongs to, so a span whose parent is another service's is top-level.
    const serviceOf = new Map<bigint, string>();
    const parents: { span: DatadogSpan; kind: number }[] = [];
    for (const rs of data.resourceSpans ?? []) {
      const resource = rs.resource?.attributes ?? [];
      const service = getStringAttribute(resource, 'service.name') || 'unknown_service';
      const env = getStringAttribute(resource, 'deployment.environment.name') ?? getStringAttribute(resource, 'deployment.environment') ?? '';
      const version = getStringAttribute(resource, 'service.version') ?? '';
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          const dd = this.span(span, resource, service, env, version, ss.scope?.name, ss.scope?.version);
          serviceOf.set(dd.span_id, service);
          parents.push({ span: dd, kind: span.kind ?? 0 });
          const key = idToHex(span.traceId);
          const list = traces.get(key) ?? [];
          list.push(dd);
          traces.set(key, list);
        }
      }
    }
    for (const { span, kind } of parents) {
      const parentService = span.parent_id === 0n ? undefined : serviceOf.get(span.parent_id);
      // A parent outside this payload is usually in another process: entry-point kinds start a service's part of the trace.
      const topLevel = span.parent_id === 0n || (parentService !== undefined ? parentService !== span.service : kind === 2 || kind === 5);
      if (topLevel) span.metrics._top_level = 1;
    }
    return [...traces.values()];
  }

  private span(span: Span, resource: readonly KeyValue[], service: string, env: string, version: string, scopeName?: string, scopeVersion?: string): DatadogSpan {
    const kind = KINDS[span.kind ?? 0] ?? 'unspecified';
    const attrs = span.attributes ?? [];
    const meta: Record<string, string> = {};
    const metrics: Record<string, number> = {};
    for (const kv of [...resource, ...attrs]) {
      const n = numeric(kv);
      if (n !== undefined) metrics[kv.key] = n;
      else meta[kv.key] = anyValueToString(kv.value);
    }
    const traceId = low64(span.traceId);
    const high = span.traceId && span.traceId.length === 16 ? idToHex(span.traceId.subarray(0, 8)) : '';
    if (high && high !== '0000000000000000') meta['_dd.p.tid'] = high;
    meta['otel.trace_id'] = idToHex(span.traceId);
    meta['span.kind'] = kind;
    meta['otel.status_code'] = STATUS[span.status?.code ?? 0] ?? 'Unset';
    if (span.status?.message) meta['otel.status_description'] = span.status.message;
    if (env) meta.env = env;
    if (version) meta.version = version;
    if (scopeName) meta['otel.library.name'] = scopeName;
    if (scopeVersion) meta['otel.library.version'] = scopeVersion;
    const error = span.status?.code === 2 ? 1 : 0;
    if (error) this.errorDetails(span, meta);
    if (kind === 'client' || kind === 'producer' || kind === 'consumer') metrics['_dd.measured'] = 1;
    metrics._sampling_priority_v1 = keepsTrace(traceId, this.rate(service, env)) ? 1 : 0;

    const method = getStringAttribute(attrs, 'http.request.method') ?? getStringAttribute(attrs, 'http.method');
    const route = getStringAttribute(attrs, 'http.route');
    const resourceName = method && (kind === 'server' || kind === 'client') ? (route ? `${method} ${route}` : method) : (span.name ?? '');
    const type = kind === 'server' ? 'web' : kind === 'client' && method ? 'http' : getStringAttribute(attrs, 'db.system') ? 'db' : 'custom';
    const start = int64ToBigInt(span.startTimeUnixNano);
    const end = int64ToBigInt(span.endTimeUnixNano);
    return {
      trace_id: traceId,
      span_id: low64(span.spanId),
      parent_id: isEmptyId(span.parentSpanId) ? 0n : low64(span.parentSpanId),
      service,
      name: `${scopeName || 'opentelemetry'}.${kind}`,
      resource: resourceName,
      type,
      start,
      duration: end > start ? end - start : 0n,
      error,
      meta,
      metrics,
    };
  }

  /** error.msg from the status, refined by an `exception` event's type, message and stack. */
  private errorDetails(span: Span, meta: Record<string, string>): void {
    if (span.status?.message) meta['error.msg'] = span.status.message;
    const exception = (span.events ?? []).find((e) => e.name === 'exception');
    if (!exception) return;
    const type = getStringAttribute(exception.attributes, 'exception.type');
    const message = getStringAttribute(exception.attributes, 'exception.message');
    const stack = getStringAttribute(exception.attributes, 'exception.stacktrace');
    if (type) meta['error.type'] = type;
    if (message) meta['error.msg'] = message;
    if (stack) meta['error.stack'] = stack;
  }
}

// OTLP log records → Loki streams: labels from the default set, the Collector's `loki.*` hint
// attributes and the exporter's config; everything else into the line (json, logfmt or raw) or,
// with structured metadata, beside it. Streams are grouped per tenant and label set, and their
// entries sorted by time, as Loki requires within a stream.
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData } from '../../pdata/types.js';
import { anyValueToJs, anyValueToString, findAttribute, type JsValue } from '../../pdata/attributes.js';
import { idToHex, isEmptyId } from '../../pdata/ids.js';
import { int64ToBigInt, nowUnixNano } from '../../pdata/time.js';
import { jobAndInstance, prometheusLabelName } from '../../codec/prometheus-names.js';

export type LineFormat = 'json' | 'logfmt' | 'raw';

const HINT_RESOURCE_LABELS = 'loki.resource.labels';
const HINT_ATTRIBUTE_LABELS = 'loki.attribute.labels';
const HINT_FORMAT = 'loki.format';
const HINT_TENANT = 'loki.tenant';
const HINTS = new Set([HINT_RESOURCE_LABELS, HINT_ATTRIBUTE_LABELS, HINT_FORMAT, HINT_TENANT]);

export interface StreamOptions {
  format: LineFormat;
  structuredMetadata: boolean;
  /** attribute name → label name */
  resourceLabels: Record<string, string>;
  attributeLabels: Record<string, string>;
  defaultLabels: { exporter: boolean; job: boolean; instance: boolean; level: boolean };
  /** Where the tenant comes from per resource; `undefined` means the caller decides per request. */
  tenantAttribute?: string;
}

export interface LokiEntry {
  timeNs: bigint;
  line: string;
  metadata: [string, string][];
}

export interface LokiStream {
  tenant: string | undefined;
  /** Sorted by name. */
  labels: [string, string][];
  /** `{a="b", c="d"}`: the stream's identity, as Loki writes it. */
  key: string;
  entries: LokiEntry[];
}

/** Loki's level names for the OTLP severity number ranges (1–4 trace, 5–8 debug, ...). */
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function level(record: LogRecord): string | undefined {
  if (record.severityText) return record.severityText.toLowerCase();
  const n = record.severityNumber ?? 0;
  return n >= 1 && n <= 24 ? LEVELS[Math.floor((n - 1) / 4)] : undefined;
}

/** The attribute names a hint lists: a comma-separated string or an array of strings. */
function hintedNames(value: AnyValue | undefined): string[] {
  if (!value) return [];
  if (value.arrayValue) return value.arrayValue.values.map((v) => anyValueToString(v).trim()).filter(Boolean);
  return anyValueToString(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function streamKey(labels: [string, string][]): string {
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(', ')}}`;
}

/** A logfmt value: bare when it can be, else quoted with Go-style escapes. */
function logfmtValue(value: string): string {
  if (value !== '' && !/[\s"=\\]/.test(value) && !/[\u0000-\u001f]/.test(value)) return value;
  return JSON.stringify(value);
}

/** Flattens nested maps and arrays into `prefix_key` / `prefix_0` pairs, as the Collector's logfmt does. */
function flatten(key: string, value: JsValue, out: [string, string][]): void {
  if (value === null) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(key ? `${key}_${i}` : String(i), v, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(key ? `${key}_${k}` : k, v, out);
  } else {
    out.push([key, String(value)]);
  }
}

function withoutLabelled(attrs: readonly KeyValue[], labelled: ReadonlySet<string>): KeyValue[] {
  return attrs.filter((kv) => !HINTS.has(kv.key) && !labelled.has(kv.key));
}

function toObject(attrs: readonly KeyValue[]): { [k: string]: JsValue } | undefined {
  if (attrs.length === 0) return undefined;
  const out: { [k: string]: JsValue } = {};
  for (const kv of attrs) out[kv.key] = anyValueToJs(kv.value);
  return out;
}

interface LineParts {
  record: LogRecord;
  attributes: KeyValue[];
  resource: KeyValue[];
  scope: InstrumentationScope | undefined;
}

function jsonLine({ record, attributes, resource, scope }: LineParts): string {
  const entry: Record<string, unknown> = {};
  if (record.body && anyValueToJs(record.body) !== null) entry.body = anyValueToJs(record.body);
  if (!isEmptyId(record.traceId)) entry.traceid = idToHex(record.traceId);
  if (!isEmptyId(record.spanId)) entry.spanid = idToHex(record.spanId);
  if (record.severityText) entry.severity = record.severityText;
  if (record.flags) entry.flags = record.flags;
  const attrs = toObject(attributes);
  if (attrs) entry.attributes = attrs;
  const res = toObject(resource);
  if (res) entry.resources = res;
  if (scope?.name) entry.instrumentation_scope = scope.version ? { name: scope.name, version: scope.version } : { name: scope.name };
  return JSON.stringify(entry);
}

function logfmtLine({ record, attributes, resource, scope }: LineParts): string {
  const pairs: [string, string][] = [];
  const body = record.body ? anyValueToJs(record.body) : null;
  if (body !== null) {
    if (typeof body === 'object' && !Array.isArray(body)) flatten('', body, pairs);
    else if (Array.isArray(body)) flatten('body', body, pairs);
    else pairs.push(['msg', String(body)]);
  }
  if (!isEmptyId(record.traceId)) pairs.push(['traceID', idToHex(record.traceId)]);
  if (!isEmptyId(record.spanId)) pairs.push(['spanID', idToHex(record.spanId)]);
  if (record.severityText) pairs.push(['severity', record.severityText]);
  if (record.flags) pairs.push(['flags', String(record.flags)]);
  for (const kv of attributes) flatten(`attribute_${kv.key}`, anyValueToJs(kv.value), pairs);
  for (const kv of resource) flatten(`resource_${kv.key}`, anyValueToJs(kv.value), pairs);
  if (scope?.name) {
    pairs.push(['instrumentation_scope_name', scope.name]);
    if (scope.version) pairs.push(['instrumentation_scope_version', scope.version]);
  }
  return pairs.map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ');
}

/** With structured metadata the line is the body alone and the rest travels beside it. */
function metadataOf({ record, attributes, resource, scope }: LineParts): [string, string][] {
  const out: [string, string][] = [];
  for (const kv of attributes) out.push([prometheusLabelName(kv.key), anyValueToString(kv.value)]);
  for (const kv of resource) out.push([prometheusLabelName(kv.key), anyValueToString(kv.value)]);
  if (!isEmptyId(record.traceId)) out.push(['trace_id', idToHex(record.traceId)]);
  if (!isEmptyId(record.spanId)) out.push(['span_id', idToHex(record.spanId)]);
  if (record.severityText) out.push(['severity_text', record.severityText]);
  if (record.severityNumber) out.push(['severity_number', String(record.severityNumber)]);
  if (scope?.name) out.push(['scope_name', scope.name]);
  if (scope?.version) out.push(['scope_version', scope.version]);
  return out;
}

function timeOf(record: LogRecord, nowNs: bigint): bigint {
  const t = int64ToBigInt(record.timeUnixNano);
  if (t !== 0n) return t;
  const observed = int64ToBigInt(record.observedTimeUnixNano);
  return observed !== 0n ? observed : nowNs;
}

/** Adds `attr`'s value under `label` (sanitised) when present; remembers the attribute as used. */
function addLabel(labels: Map<string, string>, used: Set<string>, attrs: readonly KeyValue[] | undefined, attr: string, label: string): void {
  const value = findAttribute(attrs, attr);
  if (!value) return;
  labels.set(prometheusLabelName(label), anyValueToString(value));
  used.add(attr);
}

export function toStreams(data: LogsData, options: StreamOptions): LokiStream[] {
  const streams = new Map<string, LokiStream>();
  const nowNs = int64ToBigInt(nowUnixNano());
  for (const rl of data.resourceLogs ?? []) {
    const resourceAttrs = rl.resource?.attributes ?? [];
    const base = new Map<string, string>();
    const usedResource = new Set<string>();
    if (options.defaultLabels.exporter) base.set('exporter', 'OTLP');
    const { job, instance } = jobAndInstance(resourceAttrs);
    if (options.defaultLabels.job && job !== undefined) base.set('job', job);
    if (options.defaultLabels.instance && instance !== undefined) base.set('instance', instance);
    for (const name of hintedNames(findAttribute(resourceAttrs, HINT_RESOURCE_LABELS))) addLabel(base, usedResource, resourceAttrs, name, name);
    for (const [attr, label] of Object.entries(options.resourceLabels)) addLabel(base, usedResource, resourceAttrs, attr, label);
    const tenantAttr = options.tenantAttribute ?? anyValueToString(findAttribute(resourceAttrs, HINT_TENANT));
    const tenant = tenantAttr ? anyValueToString(findAttribute(resourceAttrs, tenantAttr)) || undefined : undefined;
    const resourceFormat = anyValueToString(findAttribute(resourceAttrs, HINT_FORMAT));
    const resourceRest = withoutLabelled(resourceAttrs, usedResource);

    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        const attrs = record.attributes ?? [];
        const labels = new Map(base);
        const usedAttrs = new Set<string>();
        const lvl = options.defaultLabels.level ? level(record) : undefined;
        if (lvl) labels.set('level', lvl);
        // A record may name resource attributes to label too; only then is its resource part its own.
        const recordResourceHint = hintedNames(findAttribute(attrs, HINT_RESOURCE_LABELS));
        const usedByRecord = recordResourceHint.length ? new Set(usedResource) : usedResource;
        for (const name of recordResourceHint) addLabel(labels, usedByRecord, resourceAttrs, name, name);
        for (const name of hintedNames(findAttribute(attrs, HINT_ATTRIBUTE_LABELS))) addLabel(labels, usedAttrs, attrs, name, name);
        for (const [attr, label] of Object.entries(options.attributeLabels)) addLabel(labels, usedAttrs, attrs, attr, label);
        const resource = usedByRecord === usedResource ? resourceRest : withoutLabelled(resourceAttrs, usedByRecord);
        const parts: LineParts = { record, attributes: withoutLabelled(attrs, usedAttrs), resource, scope: sl.scope };
        const format = (anyValueToString(findAttribute(attrs, HINT_FORMAT)) || resourceFormat || options.format) as LineFormat;
        let line: string;
        let metadata: [string, string][] = [];
        if (options.structuredMetadata) {
          line = anyValueToString(record.body);
          metadata = metadataOf(parts);
        } else if (format === 'logfmt') {
          line = logfmtLine(parts);
        } else if (format === 'raw') {
          line = anyValueToString(record.body);
        } else {
          line = jsonLine(parts);
        }
        const sorted = [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        const key = streamKey(sorted);
        const id = `${tenant ?? ''}\u0000${key}`;
        let stream = streams.get(id);
        if (!stream) {
          stream = { tenant, labels: sorted, key, entries: [] };
          streams.set(id, stream);
        }
        stream.entries.push({ timeNs: timeOf(record, nowNs), line, metadata });
      }
    }
  }
  for (const stream of streams.values()) stream.entries.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  return [...streams.values()];
}

// OTLP log records → Datadog's HTTP log intake v2 items: message from the body, status from the
// severity, unified service tags, attributes as fields, and dd.trace_id/dd.span_id so Datadog
// links logs to traces. Requests stay within the intake's limits (1000 items, 5 MB; 1 MB an item).
import type { KeyValue, LogRecord, LogsData } from '../../pdata/types.js';
import { anyValueToJs, anyValueToString, getStringAttribute, type JsValue } from '../../pdata/attributes.js';
import { idToHex, isEmptyId } from '../../pdata/ids.js';
import { int64ToMillis } from '../../pdata/time.js';
import { chunkBySize } from '../../pipeline/chunk.js';

export type DatadogLogItem = Record<string, JsValue> & { message: string };

export const MAX_ITEMS_PER_REQUEST = 1000;
export const MAX_REQUEST_BYTES = 5_000_000;
export const MAX_ITEM_BYTES = 1_000_000;
export const TRUNCATION_MARK = '...TRUNCATED';
const SOURCE = 'otlp_log_ingestion';
const STATUSES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function status(record: LogRecord): string {
  if (record.severityText) return record.severityText.toLowerCase();
  const n = record.severityNumber ?? 0;
  return n >= 1 && n <= 24 ? STATUSES[Math.floor((n - 1) / 4)]! : 'info';
}

/** The low 64 bits of an id in decimal: how Datadog's tracers print trace and span ids. */
function decimalLow64(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset + id.length - 8, 8).readBigUInt64BE(0).toString();
}

function fields(attrs: readonly KeyValue[], into: Record<string, JsValue>): void {
  for (const kv of attrs) into[kv.key] = anyValueToJs(kv.value);
}

/** Cuts an item's message so its JSON fits the per-item limit, marking the cut; undefined when the rest alone is too big. */
function fitItem(item: DatadogLogItem): { item: DatadogLogItem; size: number; truncated: boolean } | undefined {
  const size = Buffer.byteLength(JSON.stringify(item));
  if (size <= MAX_ITEM_BYTES) return { item, size, truncated: false };
  const messageBytes = Buffer.byteLength(JSON.stringify(item.message));
  const budget = MAX_ITEM_BYTES - (size - messageBytes) - Buffer.byteLength(TRUNCATION_MARK) - 2;
  if (budget <= 0) return undefined;
  let message = item.message;
  // JSON escapes can make characters longer than their UTF-8 bytes: shrink until it fits.
  let cut = Math.min(message.length, budget);
  let fitted: DatadogLogItem;
  let fittedSize: number;
  do {
    message = item.message.slice(0, cut) + TRUNCATION_MARK;
    fitted = { ...item, message };
    fittedSize = Buffer.byteLength(JSON.stringify(fitted));
    cut = Math.floor(cut * 0.9);
  } while (fittedSize > MAX_ITEM_BYTES && cut > 0);
  return fittedSize <= MAX_ITEM_BYTES ? { item: fitted, size: fittedSize, truncated: true } : undefined;
}

export interface LogTranslation {
  /** Requests' worth of items, each within the intake's limits. */
  requests: DatadogLogItem[][];
  truncated: number;
  /** Items that cannot fit the 1 MB limit even without a message. */
  dropped: number;
}

export function toLogRequests(data: LogsData, hostname: string | undefined): LogTranslation {
  const sized: { item: DatadogLogItem; size: number }[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const rl of data.resourceLogs ?? []) {
    const resource = rl.resource?.attributes ?? [];
    const service = getStringAttribute(resource, 'service.name');
    const env = getStringAttribute(resource, 'deployment.environment.name') ?? getStringAttribute(resource, 'deployment.environment');
    const version = getStringAttribute(resource, 'service.version');
    const host = getStringAttribute(resource, 'host.name') ?? hostname;
    const tags = [env && `env:${env}`, version && `version:${version}`].filter(Boolean).join(',');
    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        // Attributes first, so the intake's reserved fields win over attributes of the same name.
        const item = {} as DatadogLogItem;
        fields(resource, item);
        fields(record.attributes ?? [], item);
        item.message = anyValueToString(record.body);
        item.ddsource = SOURCE;
        item.status = status(record);
        if (tags) item.ddtags = tags;
        if (host) item.hostname = host;
        if (service) item.service = service;
        const ms = int64ToMillis(record.timeUnixNano) || int64ToMillis(record.observedTimeUnixNano);
        if (ms) item.timestamp = ms;
        if (!isEmptyId(record.traceId) && record.traceId!.length === 16) {
          item['dd.trace_id'] = decimalLow64(record.traceId!);
          item['otel.trace_id'] = idToHex(record.traceId);
        }
        if (!isEmptyId(record.spanId) && record.spanId!.length === 8) {
          item['dd.span_id'] = decimalLow64(record.spanId!);
          item['otel.span_id'] = idToHex(record.spanId);
        }
        if (record.severityText) item['otel.severity_text'] = record.severityText;
        if (record.severityNumber) item['otel.severity_number'] = record.severityNumber;
        const fitted = fitItem(item);
        if (!fitted) {
          dropped++;
          continue;
        }
        if (fitted.truncated) truncated++;
        sized.push(fitted);
      }
    }
  }
  // Each item costs its JSON plus a comma inside the array.
  const requests = chunkBySize(sized, (s) => s.size + 1, MAX_REQUEST_BYTES - 2, MAX_ITEMS_PER_REQUEST).map((chunk) => chunk.map((s) => s.item));
  return { requests, truncated, dropped };
}

// OTLP log records → CloudWatch Logs events: the message is the Go exporter's JSON form (body,
// severity, flags, trace and span ids, attributes, resource; empty parts left out) or the body
// alone; the time is the record's, else its observed time, else now.
import type { LogsData } from '../../pdata/types.js';
import { anyValueToJs, anyValueToString, attributesToJs } from '../../pdata/attributes.js';
import { idToHex, isEmptyId } from '../../pdata/ids.js';
import { int64ToMillis } from '../../pdata/time.js';
import { EVENT_OVERHEAD_BYTES, type LogEvent } from '../aws-logs.js';

/** CloudWatch's limit per event, counting the 26 bytes of overhead. */
const MAX_EVENT_BYTES = 262_144;
export const TRUNCATED_SUFFIX = '[Truncated...]';
const MAX_AGE_MS = 14 * 24 * 3600 * 1000;
const MAX_AHEAD_MS = 2 * 3600 * 1000;

/** Cuts `message` to fit the event limit on a character boundary, marking the cut. */
function fit(message: string): { message: string; truncated: boolean } {
  const room = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES;
  if (Buffer.byteLength(message) <= room) return { message, truncated: false };
  const budget = room - Buffer.byteLength(TRUNCATED_SUFFIX);
  let head = Buffer.from(message).subarray(0, budget).toString('utf8');
  // A multi-byte character cut in half decodes to U+FFFD, which may take more bytes than the cut.
  while (Buffer.byteLength(head) > budget) head = head.slice(0, -1);
  return { message: head + TRUNCATED_SUFFIX, truncated: true };
}

export function toLogEvents(data: LogsData, options: { raw: boolean; nowMs: number }): { events: LogEvent[]; outOfRange: number; truncated: number } {
  const events: LogEvent[] = [];
  let outOfRange = 0;
  let truncated = 0;
  for (const rl of data.resourceLogs ?? []) {
    const resource = rl.resource?.attributes?.length ? attributesToJs(rl.resource.attributes) : undefined;
    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        const timestamp = int64ToMillis(record.timeUnixNano) || int64ToMillis(record.observedTimeUnixNano) || options.nowMs;
        if (timestamp < options.nowMs - MAX_AGE_MS || timestamp > options.nowMs + MAX_AHEAD_MS) {
          outOfRange++;
          continue;
        }
        let text: string;
        if (options.raw) {
          text = anyValueToString(record.body);
        } else {
          const body: Record<string, unknown> = {};
          if (record.body && anyValueToJs(record.body) !== null) body.body = anyValueToJs(record.body);
          if (record.severityNumber) body.severity_number = record.severityNumber;
          if (record.severityText) body.severity_text = record.severityText;
          if (record.droppedAttributesCount) body.dropped_attributes_count = record.droppedAttributesCount;
          if (record.flags) body.flags = record.flags;
          if (!isEmptyId(record.traceId)) body.trace_id = idToHex(record.traceId);
          if (!isEmptyId(record.spanId)) body.span_id = idToHex(record.spanId);
          if (record.attributes?.length) body.attributes = attributesToJs(record.attributes);
          if (resource) body.resource = resource;
          text = JSON.stringify(body);
        }
        const { message, truncated: cut } = fit(text);
        if (cut) truncated++;
        events.push({ timestamp, message });
      }
    }
  }
  return { events, outOfRange, truncated };
}

// Attribute helpers over KeyValue[]: the few operations every component needs.
import Long from 'long';
import type { AnyValue, KeyValue } from './types.js';
import { idToHex } from './ids.js';

export type AttributeValue = string | number | boolean | bigint | Uint8Array | AttributeValue[] | { [k: string]: AttributeValue };

export function findAttribute(attrs: readonly KeyValue[] | undefined, key: string): AnyValue | undefined {
  if (!attrs) return undefined;
  for (let i = 0; i < attrs.length; i++) if (attrs[i]!.key === key) return attrs[i]!.value;
  return undefined;
}

export function getStringAttribute(attrs: readonly KeyValue[] | undefined, key: string): string | undefined {
  const v = findAttribute(attrs, key);
  return v === undefined ? undefined : anyValueToString(v);
}

/** Sets (or replaces) an attribute in place. */
export function setAttribute(attrs: KeyValue[], key: string, value: AttributeValue): void {
  const av = toAnyValue(value);
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i]!.key === key) {
      attrs[i] = { key, value: av };
      return;
    }
  }
  attrs.push({ key, value: av });
}

export function removeAttribute(attrs: KeyValue[], key: string): boolean {
  const i = attrs.findIndex((kv) => kv.key === key);
  if (i < 0) return false;
  attrs.splice(i, 1);
  return true;
}

export function toAnyValue(v: AttributeValue): AnyValue {
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'bigint':
      return { intValue: Long.fromString(v.toString()) };
    case 'number':
      return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
    default:
      if (v instanceof Uint8Array) return { bytesValue: v };
      if (Array.isArray(v)) return { arrayValue: { values: v.map(toAnyValue) } };
      return { kvlistValue: { values: Object.entries(v).map(([key, val]) => ({ key, value: toAnyValue(val) })) } };
  }
}

/** Which member of the AnyValue oneof is set (decoded messages carry `value`; built ones may not). */
export function anyValueKind(v: AnyValue | undefined): keyof AnyValue | undefined {
  if (!v) return undefined;
  if (v.value) return v.value as keyof AnyValue;
  for (const k of ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const) {
    if (v[k] !== undefined && v[k] !== null) return k;
  }
  return undefined;
}

/** The display form the Collector uses: strings as-is, bytes as hex, arrays and maps as JSON. */
export function anyValueToString(v: AnyValue | undefined): string {
  const kind = anyValueKind(v);
  if (!v || !kind) return '';
  switch (kind) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return String(v.boolValue);
    case 'intValue':
      return String(v.intValue);
    case 'doubleValue':
      return String(v.doubleValue);
    case 'bytesValue':
      return idToHex(v.bytesValue);
    default:
      return JSON.stringify(anyValueToJs(v));
  }
}

export type JsValue = string | number | boolean | null | JsValue[] | { [k: string]: JsValue };

/** A JSON-safe plain value (int64 beyond 2^53 becomes a string, bytes become hex). */
export function anyValueToJs(v: AnyValue | undefined): JsValue {
  const kind = anyValueKind(v);
  if (!v || !kind) return null;
  switch (kind) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue': {
      const n = v.intValue!;
      if (typeof n === 'number') return n;
      return n.lessThanOrEqual(Number.MAX_SAFE_INTEGER) && n.greaterThanOrEqual(Number.MIN_SAFE_INTEGER) ? n.toNumber() : n.toString();
    }
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'bytesValue':
      return idToHex(v.bytesValue);
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValueToJs);
    case 'kvlistValue': {
      const out: { [k: string]: JsValue } = {};
      for (const kv of v.kvlistValue?.values ?? []) out[kv.key] = anyValueToJs(kv.value);
      return out;
    }
    default:
      return null;
  }
}

export function attributesToJs(attrs: readonly KeyValue[] | undefined): { [k: string]: JsValue } {
  const out: { [k: string]: JsValue } = {};
  for (const kv of attrs ?? []) out[kv.key] = anyValueToJs(kv.value);
  return out;
}

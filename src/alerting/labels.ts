// Label sets as the rule engine handles them: name/value pairs sorted by name, so two sets are
// equal exactly when their keys are, and a key is cheap to build once per series.
import { compareBytes, goQuote } from './gofmt.js';

export type Labels = readonly (readonly [string, string])[];

/** The label that holds a series' metric name. */
export const METRIC_NAME = '__name__';

const byName = (a: readonly [string, string], b: readonly [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Sorted labels from a record; empty values are dropped, as Prometheus treats them as absent. */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  return Object.entries(record)
    .filter(([, v]) => v !== '')
    .sort(byName);
}

export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of labels) out[k] = v;
  return out;
}

/** Sorts pairs by name (the last value of a repeated name wins) and drops empty values. */
export function normalizeLabels(pairs: Iterable<readonly [string, string]>): Labels {
  const map = new Map<string, string>();
  for (const [k, v] of pairs) map.set(k, v);
  return [...map].filter(([, v]) => v !== '').sort(byName);
}

export function getLabel(labels: Labels, name: string): string {
  for (const [k, v] of labels) if (k === name) return v;
  return '';
}

/** A string that identifies a label set: equal sets, equal keys. */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (const [k, v] of labels) key += `${k}\u0000${v}\u0001`;
  return key;
}

/** 64-bit FNV-1a of the label set as 16 hex digits: stable across restarts, for dedup keys and fingerprints. */
export function fingerprint(labels: Labels): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (const byte of Buffer.from(labelsKey(labels), 'utf8')) {
    h ^= BigInt(byte);
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, '0');
}

/** `{__name__="up", job="api"}`: Prometheus's Labels.String(), the metric name an ordinary label. */
export function formatLabels(labels: Labels): string {
  return `{${labels.map(([k, v]) => `${k}=${goQuote(v)}`).join(', ')}}`;
}

/** Prometheus's labels.Compare: pair by pair, name then value, in Go's byte order; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const [an, av] = a[i]!;
    const [bn, bv] = b[i]!;
    const c = compareBytes(an, bn) || compareBytes(av, bv);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

// Label sets as the rule engine handles them: name/value pairs sorted by name, so two sets are
// equal exactly when their keys are, and a key is cheap to build once per series.
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

/** `name{a="b", ...}` as Prometheus prints a series. */
export function formatSeries(labels: Labels): string {
  const name = getLabel(labels, METRIC_NAME);
  const rest = labels.filter(([k]) => k !== METRIC_NAME).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return rest.length === 0 && name ? name : `${name}{${rest.join(', ')}}`;
}

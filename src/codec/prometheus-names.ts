// OTLP → Prometheus names, as the OpenTelemetry Prometheus compatibility rules and the Collector's
// translator define them. Shared by everything that speaks Prometheus (scrape endpoint, remote
// write, inline alert rules) so one OTLP metric always gets one Prometheus name.
import type { KeyValue } from '../pdata/types.js';
import { anyValueToString, getStringAttribute } from '../pdata/attributes.js';

/** What decides the suffixes: only monotonic cumulative sums are counters, only gauges take `_ratio`. */
export type PrometheusKind = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface NameOptions {
  /** Prefixed with `_` to every metric name (the exporters' `namespace`). */
  namespace?: string;
  /** Unit suffixes, `_total` and `_ratio` (`add_metric_suffixes`, default true). */
  addSuffixes?: boolean;
}

const MAIN_UNITS: Record<string, string> = {
  // Time
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  // Bytes
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  // SI
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  // Misc
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

const PER_UNITS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** Splits on every character Prometheus does not allow in a name token, dropping empty tokens. */
function tokens(text: string): string[] {
  return text.split(/[^a-zA-Z0-9]+/).filter(Boolean);
}

/** A UCUM unit as name tokens: `{packets}` annotations vanish, known units get their Prometheus word. */
function unitTokens(unit: string): { main: string[]; per: string[] } {
  const withoutAnnotations = unit.replace(/\{[^}]*\}/g, '').trim();
  if (!withoutAnnotations) return { main: [], per: [] };
  const slash = withoutAnnotations.indexOf('/');
  const main = slash < 0 ? withoutAnnotations : withoutAnnotations.slice(0, slash);
  const per = slash < 0 ? '' : withoutAnnotations.slice(slash + 1);
  const mainWord = main in MAIN_UNITS ? MAIN_UNITS[main]! : main;
  const perWord = per in PER_UNITS ? PER_UNITS[per]! : per;
  return { main: tokens(mainWord), per: perWord ? ['per', ...tokens(perWord)] : [] };
}

function containsRun(list: readonly string[], run: readonly string[]): boolean {
  if (run.length === 0) return true;
  outer: for (let i = 0; i + run.length <= list.length; i++) {
    for (let j = 0; j < run.length; j++) if (list[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

/** The Prometheus metric name for an OTLP metric (without `_bucket`/`_sum`/`_count`, which the writer adds). */
export function prometheusMetricName(name: string, unit: string | undefined, kind: PrometheusKind, options: NameOptions = {}): string {
  let parts = tokens(name);
  if (options.addSuffixes !== false) {
    const { main, per } = unitTokens(unit ?? '');
    if (!containsRun(parts, main)) parts.push(...main);
    if (per.length && !containsRun(parts, per)) parts.push(...per);
    if (kind === 'counter') parts = [...parts.filter((t) => t !== 'total'), 'total'];
    if (kind === 'gauge' && unit === '1') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
  }
  if (options.namespace) parts = [...tokens(options.namespace), ...parts];
  const joined = parts.join('_');
  if (joined === '') return '_';
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** A label name Prometheus accepts: invalid characters become `_`; a leading digit or single `_` gets a `key` prefix. */
export function prometheusLabelName(key: string): string {
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (out === '') return 'key_';
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  else if (out.startsWith('_') && !out.startsWith('__')) out = `key${out}`;
  return out;
}

/**
 * Attributes as Prometheus labels. Keys that sanitise to the same label name are merged, their
 * values joined with `;` in the order of the original keys, so no value is silently lost.
 */
export function prometheusLabels(attributes: readonly KeyValue[] | undefined): Map<string, string> {
  const byLabel = new Map<string, { key: string; value: string }[]>();
  for (const kv of attributes ?? []) {
    const label = prometheusLabelName(kv.key);
    const list = byLabel.get(label) ?? [];
    list.push({ key: kv.key, value: anyValueToString(kv.value) });
    byLabel.set(label, list);
  }
  const out = new Map<string, string>();
  for (const [label, values] of byLabel) {
    values.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    out.set(label, values.map((v) => v.value).join(';'));
  }
  return out;
}

/** `job` and `instance` from the resource: `service.namespace/service.name` and `service.instance.id`. */
export function jobAndInstance(resource: readonly KeyValue[] | undefined): { job?: string; instance?: string } {
  const name = getStringAttribute(resource, 'service.name');
  const namespace = getStringAttribute(resource, 'service.namespace');
  const job = name === undefined ? undefined : namespace ? `${namespace}/${name}` : name;
  return { job, instance: getStringAttribute(resource, 'service.instance.id') };
}

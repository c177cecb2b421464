// Label-set edits and Go-compatible formatting shared by the evaluator's parts, so results and
// error messages read as Prometheus 2.42 would produce them.
import { labelsKey, METRIC_NAME, type Labels } from '../labels.js';
import type { VectorSample } from './values.js';

/** A runtime failure while evaluating an expression (the expression itself was valid). */
export class PromQLEvalError extends Error {
  override name = 'PromQLEvalError';
}

/** Prometheus's (model.LabelName).IsValid. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function hasLabel(labels: Labels, name: string): boolean {
  for (let i = 0; i < labels.length; i++) if (labels[i]![0] === name) return true;
  return false;
}

/** The set without `__name__`; the same array when there is none, which is the common case after the first drop. */
export function dropMetricName(labels: Labels): Labels {
  return hasLabel(labels, METRIC_NAME) ? labels.filter((l) => l[0] !== METRIC_NAME) : labels;
}

export function withoutLabels(labels: Labels, names: readonly string[]): Labels {
  if (names.length === 0) return labels;
  return labels.filter((l) => !names.includes(l[0]));
}

export function onlyLabels(labels: Labels, names: readonly string[]): Labels {
  return labels.filter((l) => names.includes(l[0]));
}

/** Sets a label, keeping the order; an empty value removes it, as in Prometheus's labels.Builder. */
export function withLabel(labels: Labels, name: string, value: string): Labels {
  const out: (readonly [string, string])[] = [];
  let placed = value === '';
  for (const l of labels) {
    if (l[0] === name) continue;
    if (!placed && l[0] > name) {
      out.push([name, value]);
      placed = true;
    }
    out.push(l);
  }
  if (!placed) out.push([name, value]);
  return out;
}

/** Prometheus's labels.Compare: pairwise by name, then value; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
    if (x[1] !== y[1]) return x[1] < y[1] ? -1 : 1;
  }
  return a.length - b.length;
}

export function assertUniqueLabelsets(samples: readonly VectorSample[]): void {
  if (samples.length < 2) return;
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) throw new PromQLEvalError('vector cannot contain metrics with the same labelset');
    seen.add(key);
  }
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

/** strconv.Quote for the characters label values realistically hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const esc = GO_ESCAPES[ch];
    if (esc) out += esc;
    else {
      const c = ch.codePointAt(0)!;
      out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
    }
  }
  return `${out}"`;
}

/** Prometheus's Labels.String(): `{a="1", b="2"}`, the metric name as an ordinary label. */
export function formatLabels(labels: Labels): string {
  return `{${labels.map(([k, v]) => `${k}=${goQuote(v)}`).join(', ')}}`;
}

function shortestDigits(v: number): { digits: string; exp: number } {
  const [mantissa, e] = Math.abs(v).toExponential().split('e') as [string, string];
  return { digits: mantissa.replace('.', ''), exp: Number(e) };
}

function specialFloat(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

/** strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(v: number): string {
  const special = specialFloat(v);
  if (special) return special;
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (v === 0) return `${sign}0`;
  const { digits, exp } = shortestDigits(v);
  const point = exp + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** fmt's %v for a float64: strconv's 'g' with the shortest digits, an exponent from 1e+06 and below 1e-04. */
export function formatFloatV(v: number): string {
  const special = specialFloat(v);
  if (special) return special;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { exp } = shortestDigits(v);
  if (exp < -4 || exp >= 6) {
    const [m, e] = v.toExponential().split('e') as [string, string];
    const n = Math.abs(Number(e));
    return `${m}e${e.startsWith('-') ? '-' : '+'}${n < 10 ? '0' : ''}${n}`;
  }
  return formatFloatF(v);
}

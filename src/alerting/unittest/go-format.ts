// Values printed the way promtool prints them, so a failure from `sluice test-rules` reads like
// one from `promtool test rules`: durations as Prometheus writes them, floats in Go's %E
// shortest form, label sets as Go's labels.Labels.String().
import type { Labels } from '../labels.js';

const UNITS: [unit: string, ms: number, onlyWhenExact: boolean][] = [
  // Years and weeks only when they divide evenly: 90d reads better than 12w6d.
  ['y', 365 * 86_400_000, true],
  ['w', 7 * 86_400_000, true],
  ['d', 86_400_000, false],
  ['h', 3_600_000, false],
  ['m', 60_000, false],
  ['s', 1000, false],
  ['ms', 1, false],
];

/** `1m30s`, `0s`, `2w`: a duration in ms as Prometheus's model.Duration prints it. */
export function formatDuration(ms: number): string {
  let rest = Math.trunc(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size, onlyWhenExact] of UNITS) {
    if (onlyWhenExact && rest % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Go's strconv.FormatFloat(v, 'E', -1, 64): `1E+00`, `3.0000000000000004E-01`, `+Inf`. */
export function formatFloatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const [mantissa, exponent] = Math.abs(v).toExponential().split('e') as [string, string];
  const expSign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[-+]/, '').padStart(2, '0');
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  return `${sign}${mantissa}E${expSign}${digits}`;
}

/** Go's strconv.Quote for the characters label values hold in practice. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `{__name__="up", job="api"}`: every label, the metric name included, as Go prints a label set. */
export function formatLabels(labels: Labels): string {
  return `{${labels.map(([k, v]) => `${k}=${goQuote(v)}`).join(', ')}}`;
}

/** Prometheus's labels.Compare: pair by pair, name then value; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const [an, av] = a[i]!;
    const [bn, bv] = b[i]!;
    if (an !== bn) return an < bn ? -1 : 1;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return a.length - b.length;
}

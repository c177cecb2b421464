// PromQL functions as Prometheus 2.42 computes them, down to the order of floating-point steps.
import { getLabel, labelsKey, type Labels } from '../labels.js';
import type { Expr, LabelMatcher } from './ast.js';
import { quantile } from './aggregate.js';
import { dropMetricName, LABEL_NAME_RE, PromQLEvalError, withLabel, withoutLabels } from './eval-support.js';
import { compilePromRegex } from './regex.js';
import type { SampleArray, VectorSample } from './values.js';

/** The range a matrix function looks at: [startMs, endMs] after offset, and its length. */
export interface RangeWindow {
  startMs: number;
  endMs: number;
  rangeMs: number;
}

/** Computes one output value from a series' samples in the window; undefined drops the series. */
export type RangeFunction = (ts: SampleArray, vs: SampleArray, w: RangeWindow, param: number) => number | undefined;

/** time.Duration.Seconds() for a whole number of milliseconds, rounding as Go does. */
function durationSeconds(ms: number): number {
  const sec = Math.trunc(ms / 1000);
  return sec + ((ms - sec * 1000) * 1e6) / 1e9;
}

function extrapolatedRate(ts: SampleArray, vs: SampleArray, w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const n = ts.length;
  if (n < 2) return undefined;
  const first = vs[0]!;
  let result = vs[n - 1]! - first;
  if (isCounter) {
    let last = 0;
    for (let i = 0; i < n; i++) {
      const v = vs[i]!;
      // A drop is a reset: the counter restarted from zero, so everything before it counts too.
      if (v < last) result += last;
      last = v;
    }
  }
  let durationToStart = (ts[0]! - w.startMs) / 1000;
  const durationToEnd = (w.endMs - ts[n - 1]!) / 1000;
  const sampledInterval = (ts[n - 1]! - ts[0]!) / 1000;
  const averageInterval = sampledInterval / (n - 1);
  if (isCounter && result > 0 && first >= 0) {
    // Extrapolating further back than the counter's zero point would invent negative counts.
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  // Extrapolate to a boundary only when a sample there is plausible given the spacing seen;
  // otherwise assume the series starts or ends half an interval out.
  const threshold = averageInterval * 1.1;
  let interval = sampledInterval;
  interval += durationToStart < threshold ? durationToStart : averageInterval / 2;
  interval += durationToEnd < threshold ? durationToEnd : averageInterval / 2;
  let factor = interval / sampledInterval;
  if (isRate) factor /= durationSeconds(w.rangeMs);
  return result * factor;
}

function instantValue(ts: SampleArray, vs: SampleArray, isRate: boolean): number | undefined {
  const n = ts.length;
  if (n < 2) return undefined;
  const last = vs[n - 1]!;
  const previous = vs[n - 2]!;
  let result = isRate && last < previous ? last : last - previous;
  const interval = ts[n - 1]! - ts[n - 2]!;
  if (interval === 0) return undefined;
  if (isRate) result /= interval / 1000;
  return result;
}

/**
 * Neumaier's compensated addition: returns the new sum and the running compensation. Prometheus
 * 2.42 sums this way in deriv and the *_over_time functions, so plain `+=` would differ in the last bits.
 */
function kahanAdd(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  c += Math.abs(sum) >= Math.abs(inc) ? sum - t + inc : inc - t + sum;
  return [t, c];
}

function deriv(ts: SampleArray, vs: SampleArray): number | undefined {
  const n = ts.length;
  if (n < 2) return undefined;
  // Times relative to the first sample keep x*x far from float64's precision limit.
  const t0 = ts[0]!;
  const y0 = vs[0]!;
  let constant = true;
  let sumX = 0, cX = 0;
  let sumY = 0, cY = 0;
  let sumXY = 0, cXY = 0;
  let sumX2 = 0, cX2 = 0;
  for (let i = 0; i < n; i++) {
    const y = vs[i]!;
    if (constant && i > 0 && y !== y0) constant = false;
    const x = (ts[i]! - t0) / 1e3;
    [sumX, cX] = kahanAdd(x, sumX, cX);
    [sumY, cY] = kahanAdd(y, sumY, cY);
    [sumXY, cXY] = kahanAdd(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanAdd(x * x, sumX2, cX2);
  }
  if (constant) return isInfinite(y0) ? NaN : 0;
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  return covXY / varX;
}

function isInfinite(v: number): boolean {
  return v === Infinity || v === -Infinity;
}

export const RANGE_FUNCTIONS: Readonly<Record<string, RangeFunction>> = {
  rate: (ts, vs, w) => extrapolatedRate(ts, vs, w, true, true),
  increase: (ts, vs, w) => extrapolatedRate(ts, vs, w, true, false),
  delta: (ts, vs, w) => extrapolatedRate(ts, vs, w, false, false),
  irate: (ts, vs) => instantValue(ts, vs, true),
  idelta: (ts, vs) => instantValue(ts, vs, false),
  deriv: (ts, vs) => deriv(ts, vs),
  avg_over_time: (_ts, vs) => {
    let mean = 0;
    let c = 0;
    let count = 0;
    for (const v of vs) {
      count++;
      if (isInfinite(mean)) {
        // Inf - Inf would turn a mean that is already right into NaN.
        if (isInfinite(v) && mean > 0 === v > 0) continue;
        if (!isInfinite(v) && !Number.isNaN(v)) continue;
      }
      // Dividing each term first keeps the running mean from overflowing.
      [mean, c] = kahanAdd(v / count - mean / count, mean, c);
    }
    return isInfinite(mean) ? mean : mean + c;
  },
  min_over_time: (_ts, vs) => {
    let min = vs[0]!;
    for (const v of vs) if (v < min || Number.isNaN(min)) min = v;
    return min;
  },
  max_over_time: (_ts, vs) => {
    let max = vs[0]!;
    for (const v of vs) if (v > max || Number.isNaN(max)) max = v;
    return max;
  },
  sum_over_time: (_ts, vs) => {
    let sum = 0;
    let c = 0;
    for (const v of vs) [sum, c] = kahanAdd(v, sum, c);
    // An infinite sum has a NaN compensation (Inf - Inf); the sum alone is right.
    return isInfinite(sum) ? sum : sum + c;
  },
  count_over_time: (ts) => ts.length,
  last_over_time: (_ts, vs) => vs[vs.length - 1],
  stddev_over_time: (_ts, vs) => {
    let count = 0;
    let mean = 0, cMean = 0;
    let aux = 0, cAux = 0;
    for (const v of vs) {
      count++;
      const delta = v - (mean + cMean);
      [mean, cMean] = kahanAdd(delta / count, mean, cMean);
      [aux, cAux] = kahanAdd(delta * (v - (mean + cMean)), aux, cAux);
    }
    return Math.sqrt((aux + cAux) / count);
  },
  quantile_over_time: (_ts, vs, _w, q) => quantile(q, [...vs]),
};

/** Labels absent() reports: the selector's `=` matchers, minus any name matched more than once or otherwise. */
export function absentLabels(arg: Expr): Labels {
  let matchers: readonly LabelMatcher[];
  if (arg.kind === 'selector') matchers = arg.matchers;
  else if (arg.kind === 'matrix') matchers = arg.selector.matchers;
  else return [];
  let labels: Labels = [];
  const ambiguous: string[] = [];
  for (const m of matchers) {
    if (m.name === '__name__') continue;
    if (m.op === '=' && !labels.some(([k]) => k === m.name)) labels = withLabel(labels, m.name, m.value);
    else ambiguous.push(m.name);
  }
  return withoutLabels(labels, ambiguous);
}

export function mapValues(vec: readonly VectorSample[], f: (v: number) => number): VectorSample[] {
  const out: VectorSample[] = new Array(vec.length);
  for (let i = 0; i < vec.length; i++) out[i] = { labels: dropMetricName(vec[i]!.labels), value: f(vec[i]!.value) };
  return out;
}

export function round(vec: readonly VectorSample[], toNearest: number): VectorSample[] {
  // Multiplying by the inverse is what Prometheus does; it is more exact for the usual 0.1-style steps.
  const inverse = 1 / toNearest;
  return mapValues(vec, (v) => Math.floor(v * inverse + 0.5) / inverse);
}

export function clamp(vec: readonly VectorSample[], min: number, max: number): VectorSample[] {
  if (max < min) return [];
  return mapValues(vec, (v) => goMax(min, goMin(max, v)));
}

/** Go's math.Max/Min: NaN wins, and ±0 are ordered. */
export function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? b : a;
  return a > b ? a : b;
}

export function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? a : b;
  return a < b ? a : b;
}

export const SIMPLE_FUNCTIONS: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
};

/** strconv.ParseFloat as histogram_quantile reads `le`: decimal or hex, Inf/NaN names, overflow refused. */
function parseGoFloat(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    return isFinite(v) ? v : undefined;
  }
  const hex = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))[pP]([+-]?\d+)$/.exec(s);
  if (hex) {
    const [intPart, fracPart = ''] = hex[2]!.split('.') as [string, string?];
    const mantissa = parseInt(intPart || '0', 16) + (fracPart ? parseInt(fracPart, 16) / 16 ** fracPart.length : 0);
    const v = mantissa * 2 ** Number(hex[3]);
    return isFinite(v) ? (hex[1] === '-' ? -v : v) : undefined;
  }
  return undefined;
}

interface Bucket {
  upper: number;
  count: number;
}

function bucketQuantile(q: number, input: Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  input.sort((a, b) => a.upper - b.upper);
  if (input[input.length - 1]!.upper !== Infinity) return NaN;
  // Buckets with the same bound (e.g. "1" and "1.0") are one bucket.
  const buckets: Bucket[] = [];
  for (const b of input) {
    const last = buckets[buckets.length - 1];
    if (last && last.upper === b.upper) last.count += b.count;
    else buckets.push({ upper: b.upper, count: b.count });
  }
  // Counts scraped at slightly different moments can decrease; treat them as the running max.
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = 0;
  let hi = buckets.length - 1;
  while (b < hi) {
    const mid = (b + hi) >>> 1;
    if (buckets[mid]!.count >= rank) hi = mid;
    else b = mid + 1;
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upper;
  if (b === 0 && buckets[0]!.upper <= 0) return buckets[0]!.upper;
  let start = 0;
  const end = buckets[b]!.upper;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.upper;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}

export function histogramQuantile(q: number, vec: readonly VectorSample[]): VectorSample[] {
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of vec) {
    const upper = parseGoFloat(getLabel(s.labels, 'le'));
    if (upper === undefined) continue;
    const rest = withoutLabels(s.labels, ['le']);
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: dropMetricName(rest), buckets: [] }));
    g.buckets.push({ upper, count: s.value });
  }
  const out: VectorSample[] = [];
  for (const g of groups.values()) out.push({ labels: g.labels, value: bucketQuantile(q, g.buckets) });
  return out;
}

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; the longest name wins, unknown groups expand to nothing. */
function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(rest);
    if (!ref) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref[0].length);
    const name = ref[1] ?? ref[2]!;
    // Like Go, a numeral with a leading zero or over nine digits is a name, which no group has.
    if (/^(?:0|[1-9][0-9]{0,8})$/.test(name)) out += match[Number(name)] ?? '';
    else out += match.groups?.[name] ?? '';
  }
  return out + rest;
}

export function labelReplace(vec: readonly VectorSample[], dst: string, replacement: string, src: string, regex: string): VectorSample[] {
  let re: RegExp;
  try {
    re = compilePromRegex(regex);
  } catch {
    throw new PromQLEvalError(`invalid regular expression in label_replace(): ${regex}`);
  }
  if (!LABEL_NAME_RE.test(dst)) throw new PromQLEvalError(`invalid destination label name in label_replace(): ${dst}`);
  const out: VectorSample[] = [];
  for (const s of vec) {
    const m = re.exec(getLabel(s.labels, src));
    if (!m) {
      out.push(s);
      continue;
    }
    out.push({ labels: withLabel(s.labels, dst, expandTemplate(replacement, m)), value: s.value });
  }
  return out;
}

export function labelJoin(vec: readonly VectorSample[], dst: string, separator: string, srcs: readonly string[]): VectorSample[] {
  for (const src of srcs) if (!LABEL_NAME_RE.test(src)) throw new PromQLEvalError(`invalid source label name in label_join(): ${src}`);
  if (!LABEL_NAME_RE.test(dst)) throw new PromQLEvalError(`invalid destination label name in label_join(): ${dst}`);
  return vec.map((s) => ({ labels: withLabel(s.labels, dst, srcs.map((src) => getLabel(s.labels, src)).join(separator)), value: s.value }));
}

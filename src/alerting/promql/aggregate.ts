// Aggregation operators, with the arithmetic Prometheus 2.42 uses (incremental mean for avg,
// Welford for stddev/stdvar, a heap for topk/bottomk), so results agree to the last bit.
import { formatFloat, formatGoFloat, goQuote } from '../gofmt.js';
import { getLabel, METRIC_NAME, type Labels } from '../labels.js';
import type { AggregateOp } from './ast.js';
import { LABEL_NAME_RE, onlyLabels, PromQLEvalError, withLabel, withoutLabels } from './eval-support.js';
import type { VectorSample } from './values.js';

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
  heap: VectorSample[];
}

type Less = (a: number, b: number) => boolean;

// NaN counts as the smallest value in both orders, so it is the first to be evicted.
const lessTop: Less = (a, b) => Number.isNaN(a) || a < b;
const lessBottom: Less = (a, b) => Number.isNaN(a) || a > b;

/** container/heap's up and down, so ties pick the same series Prometheus picks. */
function heapUp(h: VectorSample[], j: number, less: Less): void {
  while (j > 0) {
    const i = (j - 1) >> 1;
    if (!less(h[j]!.value, h[i]!.value)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    j = i;
  }
}

function heapDown(h: VectorSample[], i: number, n: number, less: Less): void {
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    if (j1 + 1 < n && less(h[j1 + 1]!.value, h[j1]!.value)) j = j1 + 1;
    if (!less(h[j]!.value, h[i]!.value)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    i = j;
  }
}

function heapOffer(h: VectorSample[], k: number, s: VectorSample, less: Less): void {
  const top = h[0]!.value;
  if (h.length < k || less(top, s.value)) {
    if (h.length === k) {
      if (k === 1) {
        h[0] = s;
        return;
      }
      const n = h.length - 1;
      [h[0], h[n]] = [h[n]!, h[0]!];
      heapDown(h, 0, n, less);
      h.pop();
    }
    h.push(s);
    heapUp(h, h.length - 1, less);
  }
}

/** Prometheus's quantile over values sorted NaN-first, linear between neighbouring ranks. */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}

function groupKey(labels: Labels, grouping: readonly string[], without: boolean): string {
  let key = '';
  if (without) {
    for (const [k, v] of labels) if (k !== METRIC_NAME && !grouping.includes(k)) key += `${k}\u0000${v}\u0001`;
  } else {
    for (const name of grouping) key += `${getLabel(labels, name)}\u0001`;
  }
  return key;
}

function groupLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) return withoutLabels(labels, [...grouping, METRIC_NAME]);
  return grouping.length > 0 ? onlyLabels(labels, grouping) : [];
}

const INT64_LIMIT = 2 ** 63;

export function aggregate(op: AggregateOp, vec: readonly VectorSample[], groupingIn: readonly string[], without: boolean, param: number | string | undefined): VectorSample[] {
  let grouping = [...new Set(groupingIn)].sort();
  let k = 0;
  if (op === 'topk' || op === 'bottomk') {
    const f = param as number;
    if (!(f >= -INT64_LIMIT && f < INT64_LIMIT)) throw new PromQLEvalError(`Scalar value ${formatGoFloat(f)} overflows int64`);
    k = Math.trunc(f);
    if (k < 1) return [];
  }
  let valueLabel = '';
  if (op === 'count_values') {
    valueLabel = param as string;
    if (!LABEL_NAME_RE.test(valueLabel)) throw new PromQLEvalError(`invalid label name ${goQuote(valueLabel)}`);
    if (!without) grouping = [...new Set([...grouping, valueLabel])].sort();
  }
  const groups = new Map<string, Group>();
  const ordered: Group[] = [];
  const less = op === 'topk' ? lessTop : lessBottom;
  for (const sample of vec) {
    let labels = sample.labels;
    const v = sample.value;
    if (op === 'count_values') labels = withLabel(labels, valueLabel, formatFloat(v, 'f', -1));
    const key = groupKey(labels, grouping, without);
    const g = groups.get(key);
    if (!g) {
      const fresh: Group = { labels: groupLabels(labels, grouping, without), value: v, mean: v, count: 1, heap: [] };
      if (op === 'stddev' || op === 'stdvar') fresh.value = 0;
      else if (op === 'group') fresh.value = 1;
      else if (op === 'topk' || op === 'bottomk' || op === 'quantile') fresh.heap.push(sample);
      groups.set(key, fresh);
      ordered.push(fresh);
      continue;
    }
    switch (op) {
      case 'sum':
        g.value += v;
        break;
      case 'avg':
        g.count++;
        if (isInfinite(g.mean)) {
          // Inf - Inf would turn a mean that is already right into NaN.
          if (isInfinite(v) && g.mean > 0 === v > 0) break;
          if (!isInfinite(v) && !Number.isNaN(v)) break;
        }
        // Dividing each term first keeps the running mean from overflowing.
        g.mean += v / g.count - g.mean / g.count;
        break;
      case 'max':
        if (g.value < v || Number.isNaN(g.value)) g.value = v;
        break;
      case 'min':
        if (g.value > v || Number.isNaN(g.value)) g.value = v;
        break;
      case 'count':
      case 'count_values':
        g.count++;
        break;
      case 'stddev':
      case 'stdvar': {
        g.count++;
        const delta = v - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (v - g.mean);
        break;
      }
      case 'topk':
      case 'bottomk':
        heapOffer(g.heap, k, sample, less);
        break;
      case 'quantile':
        g.heap.push(sample);
        break;
      case 'group':
        break;
    }
  }
  const out: VectorSample[] = [];
  for (const g of ordered) {
    switch (op) {
      case 'avg':
        out.push({ labels: g.labels, value: g.mean });
        break;
      case 'count':
      case 'count_values':
        out.push({ labels: g.labels, value: g.count });
        break;
      case 'stdvar':
        out.push({ labels: g.labels, value: g.value / g.count });
        break;
      case 'stddev':
        out.push({ labels: g.labels, value: Math.sqrt(g.value / g.count) });
        break;
      case 'topk':
      case 'bottomk': {
        // Best first; NaN last either way, as in Prometheus's reversed heap order.
        const sorted = [...g.heap].sort((a, b) => (less(a.value, b.value) ? 1 : less(b.value, a.value) ? -1 : 0));
        for (const s of sorted) out.push(s);
        break;
      }
      case 'quantile':
        out.push({ labels: g.labels, value: quantile(param as number, g.heap.map((s) => s.value)) });
        break;
      default:
        out.push({ labels: g.labels, value: g.value });
    }
  }
  return out;
}

function isInfinite(v: number): boolean {
  return v === Infinity || v === -Infinity;
}

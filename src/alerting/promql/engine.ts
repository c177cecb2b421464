// Instant evaluation of a PromQL expression against a sample store, with Prometheus 2.42's
// semantics: the lookback window for instant selectors, staleness markers, metric-name dropping
// and the duplicate-labelset check on every computed vector.
import { compareLabels, type Labels } from '../labels.js';
import type { Expr, LabelMatcher } from './ast.js';
import { aggregate } from './aggregate.js';
import { scalarBinary, vectorBinary, vectorScalarBinary } from './binary.js';
import { absentLabels, clamp, goMax, goMin, histogramQuantile, labelJoin, labelReplace, mapValues, RANGE_FUNCTIONS, round, SIMPLE_FUNCTIONS } from './eval-functions.js';
import { assertUniqueLabelsets, dropMetricName, PromQLEvalError } from './eval-support.js';
import { isStaleNaN, type RangeSeries, type SampleArray, type Value, type VectorSample } from './values.js';

export { PromQLEvalError } from './eval-support.js';

/** Where samples come from. */
export interface Queryable {
  /**
   * The series matching every matcher, each with its samples in timestamp order. The samples
   * cover at least [minMs, maxMs] and may reach outside it; the arrays are read before the next
   * call, so they may be views into the store's own buffers.
   */
  select(matchers: readonly LabelMatcher[], minMs: number, maxMs: number): Iterable<{ labels: Labels; timestamps: ArrayLike<number>; values: ArrayLike<number> }>;
  /** True when select() already answers in label order, so the engine need not sort. */
  readonly sortedByLabels?: boolean;
}

export interface EvalOptions {
  /** How far back an instant selector looks for a sample; Prometheus's default is 5 minutes. */
  lookbackDeltaMs?: number;
}

type MatrixExpr = Extract<Expr, { kind: 'matrix' }>;
type SelectorExpr = Extract<Expr, { kind: 'selector' }>;

function unwrapParens(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

function sortByLabels<T extends { labels: Labels }>(items: T[], q: Queryable): T[] {
  // Prometheus's storage answers in label order, and topk ties, float sums and error messages
  // depend on that order.
  if (q.sortedByLabels) return items;
  for (let i = 1; i < items.length; i++) {
    if (compareLabels(items[i - 1]!.labels, items[i]!.labels) > 0) return items.sort((a, b) => compareLabels(a.labels, b.labels));
  }
  return items;
}

class Evaluator {
  constructor(
    private readonly timeMs: number,
    private readonly q: Queryable,
    private readonly lookbackMs: number,
  ) {}

  eval(e: Expr): Value {
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', value: e.value };
      case 'string':
        return { type: 'string', value: e.value };
      case 'paren':
        return this.eval(e.expr);
      case 'selector':
        return { type: 'vector', samples: this.instantSelector(e) };
      case 'matrix':
        return { type: 'matrix', series: this.rangeSelector(e) };
      case 'unary':
        return this.unary(e.op, this.eval(e.expr));
      case 'binary':
        return this.binary(e);
      case 'aggregate':
        return this.aggregate(e);
      case 'call':
        return this.call(e);
    }
  }

  private vector(e: Expr): VectorSample[] {
    const v = this.eval(e);
    if (v.type !== 'vector') throw new PromQLEvalError(`expected instant vector, got ${v.type}`);
    return v.samples;
  }

  private scalar(e: Expr): number {
    const v = this.eval(e);
    if (v.type !== 'scalar') throw new PromQLEvalError(`expected scalar, got ${v.type}`);
    return v.value;
  }

  private string(e: Expr): string {
    const inner = unwrapParens(e);
    if (inner.kind !== 'string') throw new PromQLEvalError(`expected string, got ${inner.type}`);
    return inner.value;
  }

  private instantSelector(sel: SelectorExpr): VectorSample[] {
    const ref = this.timeMs - sel.offsetMs;
    const min = ref - this.lookbackMs;
    const out: VectorSample[] = [];
    for (const s of this.q.select(sel.matchers, min, ref)) {
      const ts = s.timestamps;
      let i = ts.length - 1;
      while (i >= 0 && ts[i]! > ref) i--;
      // Prometheus 2.42 counts a sample exactly lookback old as still current.
      if (i < 0 || ts[i]! < min) continue;
      const v = s.values[i]!;
      if (v !== v && isStaleNaN(v)) continue;
      out.push({ labels: s.labels, value: v });
    }
    return sortByLabels(out, this.q);
  }

  private rangeSelector(m: MatrixExpr): RangeSeries[] {
    const ref = this.timeMs - m.selector.offsetMs;
    const min = ref - m.rangeMs;
    const out: RangeSeries[] = [];
    for (const s of this.q.select(m.selector.matchers, min, ref)) {
      const ts = s.timestamps;
      const vs = s.values;
      let from = 0;
      let to = ts.length;
      while (from < to && ts[from]! < min) from++;
      while (to > from && ts[to - 1]! > ref) to--;
      let stale = false;
      for (let i = from; i < to && !stale; i++) stale = vs[i] !== vs[i] && isStaleNaN(vs[i]!);
      if (!stale) {
        // The common case reads the store's own arrays: no copy per series per evaluation.
        if (to > from) out.push({ labels: s.labels, timestamps: sub(ts, from, to), values: sub(vs, from, to) });
        continue;
      }
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let i = from; i < to; i++) {
        const v = vs[i]!;
        if (v !== v && isStaleNaN(v)) continue;
        timestamps.push(ts[i]!);
        values.push(v);
      }
      if (timestamps.length > 0) out.push({ labels: s.labels, timestamps, values });
    }
    return sortByLabels(out, this.q);
  }

  private unary(op: '-' | '+', v: Value): Value {
    if (op === '+') return v;
    if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
    if (v.type !== 'vector') throw new PromQLEvalError(`unary minus on ${v.type}`);
    return checked(v.samples.map((s) => ({ labels: dropMetricName(s.labels), value: -s.value })));
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>): Value {
    const l = this.eval(e.lhs);
    const r = this.eval(e.rhs);
    if (l.type === 'scalar' && r.type === 'scalar') return { type: 'scalar', value: scalarBinary(e.op, l.value, r.value) };
    if (l.type === 'vector' && r.type === 'scalar') return checked(vectorScalarBinary(e.op, l.samples, r.value, false, e.bool));
    if (l.type === 'scalar' && r.type === 'vector') return checked(vectorScalarBinary(e.op, r.samples, l.value, true, e.bool));
    if (l.type === 'vector' && r.type === 'vector') return checked(vectorBinary(e.op, l.samples, r.samples, e.matching, e.bool));
    throw new PromQLEvalError(`binary operator "${e.op}" between ${l.type} and ${r.type}`);
  }

  private aggregate(e: Extract<Expr, { kind: 'aggregate' }>): Value {
    let param: number | string | undefined;
    if (e.param) param = unwrapParens(e.param).kind === 'string' ? this.string(e.param) : this.scalar(e.param);
    return checked(aggregate(e.op, this.vector(e.expr), e.grouping, e.without, param));
  }

  private call(e: Extract<Expr, { kind: 'call' }>): Value {
    const args = e.args.map(unwrapParens);
    const matrixArg = args.findIndex((a) => a.kind === 'matrix');
    if (matrixArg >= 0) {
      const samples = this.rangeCall(e.func, args, matrixArg);
      // Distinct series of one metric stay distinct without their (common) name.
      return namesOneMetric((args[matrixArg] as MatrixExpr).selector) ? { type: 'vector', samples } : checked(samples);
    }
    switch (e.func) {
      case 'time':
        return { type: 'scalar', value: this.timeMs / 1000 };
      case 'scalar': {
        const vec = this.vector(args[0]!);
        return { type: 'scalar', value: vec.length === 1 ? vec[0]!.value : NaN };
      }
      case 'vector':
        return { type: 'vector', samples: [{ labels: [], value: this.scalar(args[0]!) }] };
    }
    return checked(this.vectorCall(e.func, args));
  }

  private vectorCall(func: string, args: Expr[]): VectorSample[] {
    const simple = SIMPLE_FUNCTIONS[func];
    if (simple) return mapValues(this.vector(args[0]!), simple);
    switch (func) {
      case 'round': {
        const vec = this.vector(args[0]!);
        return round(vec, args.length > 1 ? this.scalar(args[1]!) : 1);
      }
      case 'clamp': {
        const vec = this.vector(args[0]!);
        const min = this.scalar(args[1]!);
        return clamp(vec, min, this.scalar(args[2]!));
      }
      case 'clamp_min': {
        const vec = this.vector(args[0]!);
        const min = this.scalar(args[1]!);
        return mapValues(vec, (v) => goMax(min, v));
      }
      case 'clamp_max': {
        const vec = this.vector(args[0]!);
        const max = this.scalar(args[1]!);
        return mapValues(vec, (v) => goMin(max, v));
      }
      case 'absent':
        return this.vector(args[0]!).length > 0 ? [] : [{ labels: absentLabels(args[0]!), value: 1 }];
      case 'histogram_quantile': {
        const q = this.scalar(args[0]!);
        return histogramQuantile(q, this.vector(args[1]!));
      }
      case 'label_replace': {
        const vec = this.vector(args[0]!);
        return labelReplace(vec, this.string(args[1]!), this.string(args[2]!), this.string(args[3]!), this.string(args[4]!));
      }
      case 'label_join': {
        const vec = this.vector(args[0]!);
        return labelJoin(vec, this.string(args[1]!), this.string(args[2]!), args.slice(3).map((a) => this.string(a)));
      }
      default:
        throw new PromQLEvalError(`unknown function ${func}()`);
    }
  }

  private rangeCall(func: string, args: Expr[], matrixArg: number): VectorSample[] {
    const param = func === 'quantile_over_time' ? this.scalar(args[0]!) : 0;
    const m = args[matrixArg] as MatrixExpr;
    const series = this.rangeSelector(m);
    if (func === 'absent_over_time') return series.length > 0 ? [] : [{ labels: absentLabels(m), value: 1 }];
    const fn = RANGE_FUNCTIONS[func];
    if (!fn) throw new PromQLEvalError(`unknown function ${func}()`);
    const endMs = this.timeMs - m.selector.offsetMs;
    const window = { startMs: endMs - m.rangeMs, endMs, rangeMs: m.rangeMs };
    // last_over_time acts like an offset selector, so it alone keeps the metric name.
    const keepName = func === 'last_over_time';
    const out: VectorSample[] = [];
    for (const s of series) {
      const value = fn(s.timestamps, s.values, window, param);
      if (value !== undefined) out.push({ labels: keepName ? s.labels : dropMetricName(s.labels), value });
    }
    return out;
  }
}

function sub(a: ArrayLike<number>, from: number, to: number): SampleArray {
  if (ArrayBuffer.isView(a)) return from === 0 && to === a.length ? (a as Float64Array) : (a as Float64Array).subarray(from, to);
  return Array.prototype.slice.call(a, from, to) as number[];
}

function namesOneMetric(sel: SelectorExpr): boolean {
  return sel.matchers.some((m) => m.name === '__name__' && m.op === '=');
}

function checked(samples: VectorSample[]): Value {
  assertUniqueLabelsets(samples);
  return { type: 'vector', samples };
}

/** Evaluates `expr` at `timeMs` (epoch ms). Throws PromQLEvalError for runtime errors. */
export function evaluate(expr: Expr, timeMs: number, q: Queryable, opts: EvalOptions = {}): Value {
  return new Evaluator(timeMs, q, opts.lookbackDeltaMs ?? 300_000).eval(expr);
}
